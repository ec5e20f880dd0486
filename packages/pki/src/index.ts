export const VERSION: string = __PACKAGE_VERSION__;
export * from './pem.js';
export * from './keys.js';
