/**
 * The Docker provider: turning desired containers and volumes into Engine API calls,
 * and reading back what is there. Observed-vs-desired diffing lives with the planner.
 */
export * from './container-ops.js';
export * from './container-options.js';
export * from './duration.js';
export * from './errors.js';
export * from './image-ops.js';
export * from './in-place.js';
export * from './labels.js';
export * from './logs.js';
export * from './refresh.js';
export * from './spec-hash.js';
export * from './volume-ops.js';
