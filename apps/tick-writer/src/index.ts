export * from './batch-processor.js';
export * from './config.js';
export * from './freshness-window.js';
export * from './metrics.js';
export * from './retention.js';
export * from './startup-checks.js';
export * from './tick-writer.js';
