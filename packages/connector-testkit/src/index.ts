export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export * from './checks.js';
export type { ConformanceOptions } from './conformance-harness.js';
export { type DiscoveryConformanceOptions, testDiscoverySource } from './discovery-suite.js';
export {
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  type FakeVendor,
  type RecordedRequest,
  type StartFakeVendorOptions,
  startFakeVendor,
} from './fake-vendor.js';
export {
  type AcmPcaAction,
  type FakeAcmPca,
  type FakeAcmPcaCertificate,
  startFakeAcmPca,
} from './fakes/aws-acm-pca.js';
export {
  type FakeEjbca,
  type FakeEjbcaCertificate,
  type FakeEjbcaEndEntity,
  type StartFakeEjbcaOptions,
  startFakeEjbca,
} from './fakes/ejbca.js';
export {
  ACM_OPERATIONS,
  type AcmFault,
  type AcmOperation,
  type FakeAcm,
  type FakeAcmCertificate,
  type StartFakeAcmOptions,
  startFakeAcm,
} from './fakes/aws-acm.js';
export { type SigV4Expectation, type SigV4Refusal, verifySigV4 } from './fakes/aws-sigv4.js';
export {
  type CertificatePermission,
  type FakeKeyVault,
  type FakeKeyVaultVersion,
  type FakeKeyVaultPlainSecret,
  type KeyVaultFault,
  type KeyVaultOperation,
  type SecretPermission,
  type StartFakeKeyVaultOptions,
  startFakeKeyVault,
} from './fakes/azure-key-vault.js';
export {
  type EntrustApiPermission,
  type EntrustFakeOrder,
  type EntrustGatewayPermission,
  type FakeEntrust,
  type FakeEntrustOptions,
  startFakeEntrust,
} from './fakes/entrust.js';
export {
  type FakeBigIp,
  type FakeBigIpCertKeyChain,
  type FakeBigIpCryptoObject,
  type FakeBigIpProfile,
  type StartFakeBigIpOptions,
  startFakeBigIp,
} from './fakes/f5-bigip.js';
export { type ClientCredential, issueClientCredential } from './fakes/fake-ca-signing.js';
export {
  type AddFakeSecretInput,
  type FakeSecret,
  type FakeSecretsManager,
  SECRETS_MANAGER_OPERATIONS,
  type SecretsManagerFault,
  type SecretsManagerOperation,
  type StartFakeSecretsManagerOptions,
  startFakeSecretsManager,
} from './fakes/aws-secrets-manager.js';
export {
  DIGICERT_PRODUCTS,
  type DigicertFakeOrder,
  type DigicertOrderStatus,
  type FakeDigicert,
  startFakeDigicert,
} from './fakes/digicert.js';
export { createFaultQueue, type FaultQueue } from './fakes/fake-faults.js';
export {
  type CasPermission,
  type FakeCasCertificate,
  type FakeGoogleCas,
  startFakeGoogleCas,
} from './fakes/google-cas.js';
export { fakeVendorNetwork } from './fakes/fake-vendor-network.js';
export {
  type AtlasFakeCertificate,
  type AtlasPermission,
  type FakeGlobalSign,
  type FakeGlobalSignOptions,
  startFakeGlobalSign,
} from './fakes/globalsign.js';
export {
  type FakeGcpSecret,
  type FakeGcpSecretManager,
  type FakeGcpSecretVersion,
  type GcpSecretManagerFault,
  type GcpSecretManagerOperation,
  type GcpSecretManagerPermission,
  type GcpServiceAccountKey,
  type StartFakeGcpSecretManagerOptions,
  startFakeGcpSecretManager,
} from './fakes/gcp-secret-manager.js';
export {
  type FakeKubernetes,
  type FakeKubernetesIdentity,
  type FakeKubernetesSecret,
  type KubernetesVerb,
  type StartFakeKubernetesOptions,
  startFakeKubernetes,
} from './fakes/kubernetes.js';
export { type FakeOpsgenie, type OpsgenieAction, type OpsgenieAlert, startFakeOpsgenie } from './fakes/opsgenie.js';
export { type FakePagerDuty, type PagerDutyEvent, startFakePagerDuty } from './fakes/pagerduty.js';
export {
  type FakeSectigo,
  SECTIGO_NOT_COLLECTABLE,
  type SectigoCertType,
  type SectigoFakeCertificate,
  type SectigoStatus,
  startFakeSectigo,
} from './fakes/sectigo.js';
export { type FakeSlack, type SlackMessage, startFakeSlack } from './fakes/slack.js';
export { type FakeTeams, startFakeTeams, type TeamsPost } from './fakes/teams.js';
export {
  createFakeWindowsHost,
  type FakeIisBinding,
  type FakeWindowsCertificate,
  type FakeWindowsHost,
  type PowerShellParameter,
  parsePowerShellParameters,
  type WindowsTranscriptEntry,
} from './fakes/windows-host.js';
export { type FakeWinRm, type StartFakeWinRmOptions, startFakeWinRm } from './fakes/winrm.js';
export {
  type FileTargetConformanceOptions,
  fileTargetConformance,
} from './file-target-conformance.js';
export { assertNoFindings, type Finding, formatFindings } from './findings.js';
export { type IssuerConformanceOptions, testIssuer, waitForIssued } from './issuer-suite.js';
export {
  type NotifierConformanceOptions,
  type ReceivedNotification,
  testNotification,
  testNotifier,
} from './notifier-suite.js';
export {
  type PrepareRealServerOptions,
  prepareRealServer,
  type RealServerReadyOptions,
  type RealServerWorkspace,
  type RealTargetServer,
} from './real-server.js';
export { type RealServerTargetOptions, testTargetOnRealServer } from './real-server-target-suite.js';
export {
  freeLoopbackPort,
  readServedCertificate,
  type ServedCertificate,
  type ServedCertificateOptions,
  waitForServedSerial,
} from './served-certificate.js';
export { type TargetConformanceOptions, testTarget } from './target-suite.js';
export { createTempDir, type TempDir, withTempDir } from './temp-dir.js';
export {
  createFakeClock,
  createTestClock,
  type FakeClock,
  type FakeClockOptions,
  type TestClock,
} from './test-clock.js';
export {
  type CreateTestContextOptions,
  createTestContext,
  type LogRecord,
  type MetricRecord,
  type TestContext,
} from './test-context.js';
export {
  type CreateTestCsrOptions,
  type CsrFactory,
  createTestCa,
  createTestCsr,
  createTestDeployRequest,
  fingerprintSha256,
  type IssueTestLeafOptions,
  issueRequestFor,
  normalizeSerial,
  randomSerial,
  type TestCa,
  type TestCsr,
  type TestLeaf,
  type TestSans,
} from './test-pki.js';
export { createSecretStoreCertificates, type SecretStoreCertificates } from './secret-store-certificates.js';
export { type WrappedCommand, wrapCommand } from './wrapped-command.js';
