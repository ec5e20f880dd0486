/** Test helpers for other workspace packages (the agent's tests start a real server); not published. */
export { call, certificateBody, createBasics, makeCsr, type Basics } from './api-fixtures.js';
export { type DialectContext, describeEachDialect } from './each-dialect.js';
export { lintOpenApiDocument } from './openapi-lint.js';
export { createTestCa, type TestCaControl } from './test-issuer.js';
export { auth, KEYS, startTestServer, type TestServer, type TestServerOptions } from './test-server.js';
export { type FailingEndpoint, startFailingEndpoint } from './notification-receivers.js';
