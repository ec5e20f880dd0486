export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createDeadlineSignal, type DeadlineSignal } from '@certctl/core';
export { type ArgumentKind, validateArgument } from './argument-validation.js';
export {
  type DeployFile,
  type DeployFilesOptions,
  type DeployFilesResult,
  type DeployPhase,
  deployFiles,
} from './atomic-deploy.js';
export {
  type AzureKeyVaultConnection,
  type AzureKeyVaultSdk,
  lazyAzureKeyVaultClients,
} from './azure-key-vault-clients.js';
export {
  type DeployFilesWithCommandsOptions,
  type DeployFilesWithCommandsResult,
  deployFilesWithCommands,
  describeCommandDeploy,
} from './command-deploy.js';
export {
  type CommandRunner,
  type CommandRunnerOptions,
  createCommandRunner,
  type RunCommandOptions,
} from './command-runner.js';
export {
  type ConfigAddress,
  configAddresses,
  type RefusedAddress,
  refusedConfigAddresses,
  refusedConfigAddressesResolved,
  ssrfPolicyForNetwork,
} from './config-urls.js';
export { type CreateConnectorContextOptions, createConnectorContext } from './connector-context.js';
export { type ConsoleJsonLoggerOptions, createConsoleJsonLogger, type LogLevel } from './console-json-logger.js';
export { crc32c } from './crc32c.js';
export { assertCertifiesCsrKey, type CheckedCsrKeyOptions, type CsrKey, checkedCsrKey } from './csr-key.js';
export { deployFailedError, withoutConnectorPrefix } from './deploy-failure.js';
export {
  checkDeployedCertificate,
  type DeployedCertificate,
  type DeployedCertificateCheck,
  describeLeaf,
  isSameCertificate,
  readDeployedCertificate,
} from './deployed-certificate.js';
export { createFakeClock, type FakeClock, type FakeClockOptions } from './fake-clock.js';
export { createFileTarget, type FileTargetOptions } from './file-target.js';
export {
  absolutePath,
  type CommandFieldsSpec,
  type CommandFileTargetConfig,
  type CommandFileTargetOptions,
  commandFileTargetFields,
  commandTimeoutSeconds,
  createCommandFileTarget,
  distinctPaths,
  fileName,
  operatorCommand,
} from './file-target-config.js';
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
  type RetryOptions,
  type VendorErrorOptions,
} from './http-client.js';
export {
  cidrContains,
  formatIpAddress,
  type IpAddress,
  type IpCidr,
  parseCidr,
  parseIpAddress,
} from './ip-address.js';
export { type IssuedFromBundleOptions, issuedCertificateFromBundle } from './issued-certificate.js';
export {
  cidrProblem,
  type NetworkScanLimits,
  type NetworkScanOutcomes,
  type NetworkScanReport,
  type NetworkScanSkip,
  networkScanTargetProblems,
  planScan,
  type ProbeResult,
  type Prober,
  probeEndpoints,
  runNetworkScan,
  type ScanEndpoint,
  type ScanPlan,
  type ScanPlanInput,
  STARTTLS_PORTS,
  summarizeScan,
} from './network-scan.js';
export { createMemorySecretStore } from './memory-secret-store.js';
export { createMtlsAgent, MtlsAgent, type MtlsAgentOptions } from './mtls-agent.js';
export { noopMetrics } from './noop-metrics.js';
export {
  eventTitle,
  formatUtc,
  type NotificationFact,
  notificationFacts,
  notificationLink,
} from './notification-facts.js';
export {
  fileTime,
  md4,
  NTLM_NEGOTIATE_FLAGS,
  type NtlmChallenge,
  type NtlmResponses,
  ntlmAuthenticateMessage,
  ntlmNegotiateMessage,
  ntlmV2Responses,
  ntowfv2,
  parseNtlmAuthenticate,
  parseNtlmChallenge,
  splitNtlmUser,
} from './ntlm.js';
export {
  operatorCommandProblem,
  type ParseOperatorCommandOptions,
  parseOperatorCommand,
  refineOperatorCommand,
} from './operator-command.js';
export {
  createOperatorCommand,
  type OperatorCommand,
  type OperatorCommandOptions,
} from './operator-command-step.js';
export {
  buildCombinedPem,
  buildFullchain,
  type FullchainOptions,
  normalizePem,
  orderCertificateChain,
  privateKeyPemFor,
  splitCertificates,
} from './pem-bundle.js';
export { DEFAULT_POLL_SCHEDULE_MS, type PollCheckResult, type PollOptions, pollUntil } from './poll-order.js';
export {
  type PostDeployVerifyConfig,
  type PostDeployVerifySettings,
  postDeployVerifySchema,
  resolvePostDeployVerify,
} from './post-deploy-verify.js';
export {
  createLocalPowerShellRunner,
  type PowerShellResult,
  type PowerShellRunner,
  readPowerShellAnswer,
} from './powershell-runner.js';
export {
  encodePowerShellCommand,
  hasControlCharacter,
  POWERSHELL_ARGUMENTS,
  POWERSHELL_STDIN_BOOTSTRAP,
  type PowerShellValue,
  powerShellLiteral,
  powerShellStdin,
  quotePowerShell,
  renderPowerShellScript,
  scriptFromPowerShellStdin,
} from './powershell-script.js';
export { fullJitterDelay, parseRetryAfter } from './retry-backoff.js';
export {
  certificateMetadata,
  type FindSecretCertificatesOptions,
  findSecretCertificates,
  type SecretCertificate,
  type SecretCertificateFormat,
  type SecretCertificatesResult,
} from './secret-certificates.js';
export { createSerialQueue } from './serial-queue.js';
export { createSsrfAgent, createSsrfConnector, type SsrfAgentOptions, type SsrfConnectOptions } from './ssrf-agent.js';
export {
  type AddressClass,
  classifyAddress,
  createSsrfPolicy,
  type NetLookup,
  type SsrfPolicy,
  type SsrfPolicyOptions,
} from './ssrf-policy.js';
export { sleepWithSignal, systemClock } from './system-clock.js';
export { prepareTlsMaterial, type TlsMaterial, type TlsMaterialInput } from './tls-material.js';
export {
  type ProbeTlsOptions,
  probeTlsCertificate,
  probeTlsEndpoint,
  type StartTlsProtocol,
  type TlsEndpointObservation,
  type VerifyServedCertificateOptions,
  verifyServedCertificate,
} from './tls-probe.js';
export { createVendorApiClient, type VendorApiClient, type VendorApiClientOptions } from './vendor-api-client.js';
export { type WaitForIssuanceOptions, waitForIssuance } from './wait-for-issuance.js';
export {
  buildWindowsPfx,
  CERT_STORE_BODIES,
  type CertStoreLocation,
  type CertStoreOperation,
  certStoreScript,
  createWindowsPowerShell,
  execDeadlineMs,
  execDeadlineSchema,
  runWindowsOperation,
  type StoreCertificate,
  WINDOWS_STORE_LOCATIONS,
  type WindowsPfx,
  type WinRmSettings,
  windowsAdvice,
  windowsStoreNameSchema,
  windowsText,
  windowsThumbprint,
  winrmSettingsSchema,
  winrmSettingsShape,
  wrapWindowsScriptBody,
} from './windows-host.js';
export {
  createWindowsStoreSession,
  deployToWindowsStore,
  sameSerialHex,
  type WindowsStoreDeployOutcome,
  type WindowsStoreDeploySteps,
  type WindowsStoreSession,
  type WindowsStoreSessionOptions,
} from './windows-store-target.js';
export { createHttp01Webroot, type Http01Webroot } from './http01-webroot.js';
export {
  createWinRmClient,
  createWinRmPowerShellRunner,
  type WinRmClient,
  type WinRmClientOptions,
  type WinRmCommandResult,
  WSMAN_ACTIONS,
  WSMAN_COMMAND_DONE,
  WSMAN_NAMESPACES,
  WSMAN_SHELL_RESOURCE,
  WSMAN_SIGNAL_TERMINATE,
  wsmanEnvelope,
} from './winrm-client.js';
