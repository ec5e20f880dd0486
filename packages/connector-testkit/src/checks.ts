/**
 * The conformance checks as plain functions returning findings, without vitest: what
 * `tooling/check-connectors` and other scripts use. The suites in the main entry are built on these.
 */
export {
  CAPABILITY_METHODS,
  CONNECTOR_KINDS,
  checkCapabilityMethods,
  checkManifest,
  type CheckManifestOptions,
  configProperties,
  KEBAB_CASE,
  REQUIRED_METHODS,
  SECRET_LOOKING_KEY,
  unmarkedSecretFields,
} from './check-manifest.js';
export { checkConfig, type CheckConfigOptions, generatedInvalidConfigs, type InvalidConfigCase } from './check-config.js';
export { checkLifecycle, type CheckLifecycleOptions } from './check-lifecycle.js';
export {
  certificateSans,
  checkChainsTo,
  checkCrl,
  checkDiscoveredCertificate,
  checkIssuedCertificate,
  checkOcspResponse,
  type CrlExpectations,
  type IssuedCertificateExpectations,
  type OcspExpectations,
} from './check-certificates.js';
export { assertNoFindings, type Finding, formatFindings } from './findings.js';

/** The suite function each connector kind's test file must call. */
export const SUITE_FUNCTIONS = {
  issuer: 'testIssuer',
  target: 'testTarget',
  notifier: 'testNotifier',
  discovery: 'testDiscoverySource',
} as const;
