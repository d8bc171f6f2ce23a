export * from './bucket.js';
export * from './namespace-compare.js';
export * from './planner.js';
export * from './throttle-report.js';
