export * from './control.js';
export * from './sim.js';
export * from './stream.js';
