/**
 * The conformance checks as plain functions returning findings, without vitest: what
 * `tooling/check-connectors` and other scripts use. The suites in the main entry are built on these.
 */

export {
  type CrlExpectations,
  certificateSans,
  checkChainsTo,
  checkCrl,
  checkDiscoveredCertificate,
  checkIssuedCertificate,
  checkOcspResponse,
  type IssuedCertificateExpectations,
  type OcspExpectations,
} from './check-certificates.js';
export {
  type CheckConfigOptions,
  checkConfig,
  generatedInvalidConfigs,
  type InvalidConfigCase,
} from './check-config.js';
export { type CheckLifecycleOptions, checkLifecycle } from './check-lifecycle.js';
export {
  CAPABILITY_METHODS,
  type CheckManifestOptions,
  CONNECTOR_KINDS,
  checkCapabilityMethods,
  checkManifest,
  configProperties,
  KEBAB_CASE,
  REQUIRED_METHODS,
  SECRET_LOOKING_KEY,
  unmarkedSecretFields,
} from './check-manifest.js';
export { assertNoFindings, type Finding, formatFindings } from './findings.js';

/** The suite function each connector kind's test file must call. */
export const SUITE_FUNCTIONS = {
  issuer: 'testIssuer',
  target: 'testTarget',
  notifier: 'testNotifier',
  discovery: 'testDiscoverySource',
} as const;
