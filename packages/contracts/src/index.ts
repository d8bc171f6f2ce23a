export * from './echo.js';
export * from './errors.js';
export * from './keys.js';
export * from './queues.js';
export * from './strategy-id.js';
export * from './strategy-universe.js';
export * from './tickers.js';
