export * from './coalescer.js';
export * from './conditions.js';
export * from './parser.js';
export * from './policy.js';
export * from './processor.js';
export * from './rest-json.js';
export * from './timestamp.js';
export * from './types.js';
