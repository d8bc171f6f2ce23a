export * from './control.js';
export * from './frames.js';
export * from './history.js';
export * from './rest.js';
export * from './sim.js';
export * from './stream.js';
