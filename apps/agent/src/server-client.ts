import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import type {
  AgentCertificate,
  AgentHeartbeat,
  AgentHeartbeatAnswer,
  AgentJob,
  AgentJobStatusReport,
  AgentRegistered,
  AgentRegistration,
  DeploymentVerification,
  DiscoveryReport,
  DiscoveryReportAnswer,
} from '@certctl/wire';
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

// The wire shapes are the agent protocol's schemas in @certctl/wire, the ones the server validates and answers with.
export type Verification = DeploymentVerification;
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

/** The agent protocol over HTTPS (undici, trusting the given CA); every call has a deadline and honours the abort signal. */
export function createServerClient(options: ServerClientOptions) {
  const dispatcher = new Agent({
    connect: { ...(options.caPem && { ca: options.caPem }), rejectUnauthorized: true },
    connectTimeout: options.timeoutMs,
  });
  const base = options.serverUrl.href.replace(/\/+$/, '');
  let apiKey: string | undefined;

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    bearer = apiKey,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        dispatcher,
        signal: AbortSignal.any([signal, deadline]),
        headers: {
          'user-agent': options.userAgent,
          accept: 'application/json',
          ...(bearer && { authorization: `Bearer ${bearer}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const tlsProblem = cause?.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(cause.code);
      const reason = deadline.aborted
        ? `no answer within ${options.timeoutMs} ms`
        : (cause?.message ?? (error as Error).message);
      throw new ServerRequestError(
        `${method} ${path}: ${reason}${tlsProblem ? ' (is CERTCTL_SERVER_CA_FILE the CA that signed the server certificate?)' : ''}`,
        undefined,
        !tlsProblem,
        cause?.code,
        { cause: error },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let parsed: { error?: string; message?: string } = {};
      try {
        parsed = JSON.parse(text);
      } catch {}
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      throw new ServerRequestError(
        `${method} ${path}: ${response.status} ${parsed.message ?? text.slice(0, 200)}`,
        response.status,
        retryable,
        parsed.error,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
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
        { certificate_id: certificateId, csr_pem: csrPem },
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
      return call<AgentJob>(
        'POST',
        `/api/v1/agents/${encodeURIComponent(agentId)}/jobs/${encodeURIComponent(jobId)}/status`,
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
    close() {
      return dispatcher.close();
    },
  };
}
export type ServerClient = ReturnType<typeof createServerClient>;
