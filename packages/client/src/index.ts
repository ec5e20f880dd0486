export { CertctlApiError, type ErrorEnvelope } from './api-error.js';
export { type CertctlClient, type CertctlClientOptions, createCertctlClient } from './certctl-client.js';
export type { components, operations, paths } from './generated/openapi.js';
export { collectAll, type Page, paginate } from './pagination.js';
export type { JsonAnswer, JsonBody, ListItem, ListPath, QueryOf, Schema, Schemas } from './wire-types.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
