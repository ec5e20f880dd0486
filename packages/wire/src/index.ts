import type { z } from 'zod';
import type {
  agentCertificateAnswer,
  agentCsrBody,
  agentHeartbeatAnswer,
  agentHeartbeatBody,
  agentHttp01Answer,
  agentHttp01ReportBody,
  agentJob,
  agentJobStatusBody,
  agentNetworkScansAnswer,
  agentRegistered,
  agentRegistrationBody,
  agentWorkAnswer,
  agentWorkItem,
  deploymentVerification,
  discoveryReportAnswer,
  discoveryReportBody,
  networkScanReportBody,
  networkScanWorkItem,
  targetTypeReport,
} from './agent-protocol.js';
import type { errorSchema } from './primitives.js';

export * from './agent-protocol.js';
export * from './primitives.js';

/** The JSON a schema accepts: what travels on the wire (timestamps are RFC 3339 text). */
export type Wire<S extends z.ZodType> = z.input<S>;

export type ErrorBody = Wire<typeof errorSchema>;
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
export type AgentHttp01Report = Wire<typeof agentHttp01ReportBody>;
export type AgentHttp01Answer = Wire<typeof agentHttp01Answer>;
export type DeploymentVerification = Wire<typeof deploymentVerification>;
export type DiscoveryReport = Wire<typeof discoveryReportBody>;
export type DiscoveryReportAnswer = Wire<typeof discoveryReportAnswer>;

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
export type NetworkScanWorkItem = Wire<typeof networkScanWorkItem>;
export type AgentNetworkScans = Wire<typeof agentNetworkScansAnswer>;
export type NetworkScanReportBody = Wire<typeof networkScanReportBody>;
