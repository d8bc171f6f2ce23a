export * from './control.js';
export * from './frames.js';
export * from './sim.js';
export * from './stream.js';
