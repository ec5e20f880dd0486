/**
 * The server's wire formats as TypeScript types, derived from the zod schemas its routes validate
 * requests with and declare their answers with (the OpenAPI document is generated from the same
 * schemas). Import with `import type` only: this entry point exists for types, so a client such as
 * the agent takes its shapes from here without loading the server.
 */
import type { z } from 'zod';
import type {
  agentCertificateAnswer,
  agentCsrBody,
  agentHeartbeatAnswer,
  agentHeartbeatBody,
  agentJob,
  agentJobStatusBody,
  agentRegistered,
  agentRegistrationBody,
  agentWorkAnswer,
  agentWorkItem,
  deploymentVerification,
  discoveryReportAnswer,
  discoveryReportBody,
  targetTypeReport,
} from './http/schemas/agent-protocol.js';
import type { errorSchema } from './http/schemas/common.js';

/** The JSON a schema accepts: what travels on the wire (timestamps are RFC 3339 text). */
type Wire<S extends z.ZodType> = z.input<S>;

/** Every 4xx/5xx answer of the API. */
export type ErrorBody = Wire<typeof errorSchema>;

// The agent protocol: requests the agent sends, answers it reads.
export type TargetTypeReport = Wire<typeof targetTypeReport>;
export type AgentRegistration = Wire<typeof agentRegistrationBody>;
export type AgentRegistered = Wire<typeof agentRegistered>;
export type AgentHeartbeat = Wire<typeof agentHeartbeatBody>;
export type AgentHeartbeatAnswer = Wire<typeof agentHeartbeatAnswer>;
export type AgentWork = Wire<typeof agentWorkAnswer>;
export type AgentWorkItem = Wire<typeof agentWorkItem>;
export type AgentCsrSubmission = Wire<typeof agentCsrBody>;
export type AgentJob = Wire<typeof agentJob>;
export type AgentCertificate = Wire<typeof agentCertificateAnswer>;
export type AgentJobStatusReport = Wire<typeof agentJobStatusBody>;
export type DeploymentVerification = Wire<typeof deploymentVerification>;
export type DiscoveryReport = Wire<typeof discoveryReportBody>;
export type DiscoveryReportAnswer = Wire<typeof discoveryReportAnswer>;
