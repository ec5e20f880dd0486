import { readFileSync } from 'node:fs';
import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import { ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import type { JsonAnswer, JsonBody } from '@certctl/client';
import { agentNetworkScansAnswer, type NetworkScanWorkItem } from '@certctl/wire';
import { type WorkItem, workResponseSchema } from './agent-state.js';

/** A call to the server that failed; `retryable` for network errors, timeouts, 408, 429 and 5xx. */
export class ServerRequestError extends Error {
  override name = 'ServerRequestError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ServerClientOptions {
  serverUrl: URL;
  /** PEM of the CA that signed the server's certificate; default the system store. */
  caPem?: string;
  timeoutMs: number;
  userAgent: string;
}

// The wire shapes are generated from the server's OpenAPI document (@certctl/client): the routes the agent calls.
type AgentRegistration = JsonBody<'/api/v1/agents', 'post'>;
type AgentRegistered = JsonAnswer<'/api/v1/agents', 'post'>;
type AgentHeartbeat = JsonBody<'/api/v1/agents/{id}/heartbeat', 'post'>;
type AgentHeartbeatAnswer = JsonAnswer<'/api/v1/agents/{id}/heartbeat', 'post'>;
type AgentJob = JsonAnswer<'/api/v1/agents/{id}/csr', 'post'>;
type AgentCsr = JsonBody<'/api/v1/agents/{id}/csr', 'post'>;
type AgentCertificate = JsonAnswer<'/api/v1/agents/{id}/certificates/{certificate_id}', 'get'>;
type AgentJobStatusReport = JsonBody<'/api/v1/agents/{id}/jobs/{job_id}/status', 'post'>;
type DiscoveryReport = JsonBody<'/api/v1/agents/{id}/discoveries', 'post'>;
type DiscoveryReportAnswer = JsonAnswer<'/api/v1/agents/{id}/discoveries', 'post'>;
type AgentHttp01Report = JsonBody<'/api/v1/agents/{id}/http01/{challenge_id}', 'post'>;
type AgentHttp01Answer = JsonAnswer<'/api/v1/agents/{id}/http01/{challenge_id}', 'post'>;
type NetworkScanReport = JsonBody<'/api/v1/agents/{id}/network-scans/{scan_id}', 'post'>;
type NetworkScanRecorded = JsonAnswer<'/api/v1/agents/{id}/network-scans/{scan_id}', 'post'>;

export type Verification = NonNullable<AgentJobStatusReport['verification']>;
export type DiscoveryPayload = DiscoveryReport;
/** What the agent says about itself on register and heartbeat: host facts and, when offered, its target types. */
export type AgentReport = AgentHeartbeat;
/** What the server says back about a report: target types whose schema it cannot use. */
export type ReportAnswer = Pick<AgentHeartbeatAnswer, 'rejected_target_types'>;

export function readCaFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`CERTCTL_SERVER_CA_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
}

/** The agent protocol over HTTPS (the one HTTP client, trusting the given CA); every call has a deadline and honours the abort signal. */
export function createServerClient(options: ServerClientOptions) {
  const base = options.serverUrl.href.replace(/\/+$/, '');
  // The operator named the server: it may be on loopback or the LAN; metadata addresses stay refused.
  const http = createHttpClient({
    connector: 'agent',
    timeoutMs: options.timeoutMs,
    ssrfPolicy: createSsrfPolicy({
      connector: 'agent',
      allowPrivate: true,
      allowLoopback: true,
      allow: [options.serverUrl.hostname],
    }),
    ...(options.caPem && { ca: options.caPem }),
    userAgent: options.userAgent,
    defaultHeaders: { accept: 'application/json' },
  });
  let apiKey: string | undefined;

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    bearer = apiKey,
  ): Promise<T> {
    try {
      const response = await http.request({
        method,
        url: `${base}${path}`,
        label: `${method} ${path}`,
        headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
        body,
        signal,
        // The agent's loop retries with its own backoff; one attempt here.
        idempotent: false,
      });
      const text = response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (error) {
      throw serverRequestError(error, method, path, signal, options.timeoutMs);
    }
  }

  return {
    setApiKey(key: string) {
      apiKey = key;
    },
    register(bootstrapToken: string, metadata: AgentRegistration, signal: AbortSignal) {
      return call<AgentRegistered>('POST', '/api/v1/agents', metadata, signal, bootstrapToken);
    },
    heartbeat(agentId: string, metadata: AgentReport, signal: AbortSignal) {
      return call<AgentHeartbeatAnswer>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/heartbeat`,
        metadata,
        signal,
      );
    },
    async work(agentId: string, signal: AbortSignal): Promise<WorkItem[]> {
      const body = await call<unknown>('GET', `/api/v1/agents/${encodeURIComponent(agentId)}/work`, undefined, signal);
      return workResponseSchema.parse(body).jobs;
    },
    submitCsr(agentId: string, certificateId: string, csrPem: string, signal: AbortSignal) {
      return call<AgentJob>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/csr`,
        { certificate_id: certificateId, csr_pem: csrPem } satisfies AgentCsr,
        signal,
      );
    },
    certificate(agentId: string, certificateId: string, signal: AbortSignal) {
      return call<AgentCertificate>(
        'GET',
        `/api/v1/agents/${encodeURIComponent(agentId)}/certificates/${encodeURIComponent(certificateId)}`,
        undefined,
        signal,
      );
    },
    jobStatus(agentId: string, jobId: string, report: AgentJobStatusReport, signal: AbortSignal) {
      return call<JsonAnswer<'/api/v1/agents/{id}/jobs/{job_id}/status', 'post'>>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/jobs/${encodeURIComponent(jobId)}/status`,
        report,
        signal,
      );
    },
    reportHttp01(agentId: string, challengeId: string, report: AgentHttp01Report, signal: AbortSignal) {
      return call<AgentHttp01Answer>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/http01/${encodeURIComponent(challengeId)}`,
        report,
        signal,
      );
    },
    reportDiscovery(agentId: string, payload: DiscoveryPayload, signal: AbortSignal) {
      return call<DiscoveryReportAnswer>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/discoveries`,
        payload,
        signal,
      );
    },
    async networkScans(agentId: string, signal: AbortSignal): Promise<NetworkScanWorkItem[]> {
      const body = await call<unknown>(
        'GET',
        `/api/v1/agents/${encodeURIComponent(agentId)}/network-scans`,
        undefined,
        signal,
      );
      return agentNetworkScansAnswer.parse(body).scans;
    },
    reportNetworkScan(agentId: string, scanId: string, report: NetworkScanReport, signal: AbortSignal) {
      return call<NetworkScanRecorded>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/network-scans/${encodeURIComponent(scanId)}`,
        report,
        signal,
      );
    },
    close() {
      return http.close();
    },
  };
}
export type ServerClient = ReturnType<typeof createServerClient>;

/** The agent's view of a failed call: the server's `{error, message}` and whether trying again later may help. */
function serverRequestError(
  error: unknown,
  method: string,
  path: string,
  signal: AbortSignal,
  timeoutMs: number,
): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (VendorApiError.isInstance(error) && error.status !== undefined) {
    let parsed: { error?: string; message?: string } = {};
    try {
      parsed = JSON.parse(error.body ?? '');
    } catch {}
    const status = error.status;
    return new ServerRequestError(
      `${method} ${path}: ${status} ${parsed.message ?? (error.body ?? '').slice(0, 200)}`,
      status,
      status === 408 || status === 429 || status >= 500,
      parsed.error,
    );
  }
  if (!ConnectorError.isInstance(error)) return error;
  const cause = (error.cause ?? {}) as { code?: string; message?: string };
  const tlsProblem = cause.code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(cause.code);
  const reason = DeadlineExceededError.isInstance(error)
    ? `no answer within ${timeoutMs} ms`
    : (cause.message ?? error.message);
  return new ServerRequestError(
    `${method} ${path}: ${reason}${tlsProblem ? ' (is CERTCTL_SERVER_CA_FILE the CA that signed the server certificate?)' : ''}`,
    undefined,
    !tlsProblem,
    cause.code,
    { cause: error },
  );
}
