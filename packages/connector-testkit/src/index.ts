export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { testIssuer, waitForIssued, type IssuerConformanceOptions } from './issuer-suite.js';
export { testTarget, type TargetConformanceOptions } from './target-suite.js';
export { testNotifier, testNotification, type NotifierConformanceOptions, type ReceivedNotification } from './notifier-suite.js';
export { testDiscoverySource, type DiscoveryConformanceOptions } from './discovery-suite.js';
export type { ConformanceOptions } from './conformance-harness.js';

export { SUITE_FUNCTIONS } from './checks.js';
export {
  CAPABILITY_METHODS,
  checkCapabilityMethods,
  checkManifest,
  type CheckManifestOptions,
  configProperties,
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

export {
  startFakeVendor,
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  type FakeVendor,
  type RecordedRequest,
  type StartFakeVendorOptions,
} from './fake-vendor.js';
export { createTempDir, type TempDir, withTempDir } from './temp-dir.js';
export { createTestContext, type CreateTestContextOptions, type LogRecord, type MetricRecord, type TestContext } from './test-context.js';
export { createFakeClock, createTestClock, type FakeClock, type FakeClockOptions, type TestClock } from './test-clock.js';
export {
  createTestCa,
  createTestCsr,
  createTestDeployRequest,
  type CreateTestCsrOptions,
  type CsrFactory,
  fingerprintSha256,
  issueRequestFor,
  type IssueTestLeafOptions,
  normalizeSerial,
  randomSerial,
  type TestCa,
  type TestCsr,
  type TestLeaf,
  type TestSans,
} from './test-pki.js';
