export { AGENT_VARIABLES, type AgentConfig, AgentConfigError, loadAgentConfig } from './agent-config.js';
export {
  AgentStoppedError,
  type CertctlAgent,
  type CertctlAgentOptions,
  createCertctlAgent,
  type JournalStep,
} from './certctl-agent.js';
export { certificatesIn, type FoundCertificate, scanDirectories, type ScanResult } from './discovery-scan.js';
export { parseEndpoint, servedFingerprint, verifyEndpoint } from './endpoint-verify.js';
export { keyAlgorithmFor } from './key-store.js';
export { ServerRequestError } from './server-client.js';
export { AGENT_VERSION, type StartAgentOptions, startAgent } from './start-agent.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
