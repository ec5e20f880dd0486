export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export * from './capabilities.js';
export * from './config-schema.js';
export type * from './contract-methods.js';
export type * from './context.js';
export type * from './discovery.js';
export * from './env-mapping.js';
export * from './errors.js';
export type * from './issuer.js';
export * from './load-installed.js';
export * from './manifest.js';
export type * from './notifier.js';
export * from './redacting-logger.js';
export * from './registry.js';
export * from './revocation-reason.js';
export * from './runtime.js';
export * from './secret.js';
export type * from './target.js';
