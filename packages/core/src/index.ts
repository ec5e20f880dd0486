export * from './errors.js';
export type * from './context.js';
