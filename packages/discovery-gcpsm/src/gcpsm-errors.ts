/** Secret Manager's errors (gRPC status codes, as the client library reports them) turned into certctl's typed errors. */
import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface GcpSmCallFacts {
  operation: 'ListSecrets' | 'AccessSecretVersion';
  project: string;
  secret?: string;
}

interface GoogleErrorShape {
  name?: string;
  code?: number | string;
  status?: number;
  message?: string;
  details?: string;
  response?: { status?: number; data?: unknown };
}

/** gRPC status codes (google.rpc.Code). */
const CODE = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Errors about one secret: the scan skips it and goes on. */
const PER_SECRET = new Set<number>([CODE.NOT_FOUND, CODE.PERMISSION_DENIED, CODE.FAILED_PRECONDITION]);
const GCP_CODE = Symbol('certctl.discovery-gcpsm.code');

/** The gRPC status code behind a typed error made by `toGcpSmError`. */
export function gcpSmErrorCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as Record<symbol, unknown>)[GCP_CODE] as number | undefined)
    : undefined;
}

export function isPerSecretError(error: unknown): boolean {
  const code = gcpSmErrorCode(error);
  return code !== undefined && PER_SECRET.has(code);
}

const HTTP_TO_CODE: Record<number, number> = {
  400: 3,
  401: CODE.UNAUTHENTICATED,
  403: CODE.PERMISSION_DENIED,
  404: CODE.NOT_FOUND,
  409: 10,
  429: CODE.RESOURCE_EXHAUSTED,
  500: CODE.INTERNAL,
  503: CODE.UNAVAILABLE,
  504: CODE.DEADLINE_EXCEEDED,
};
const STATUS_TO_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: CODE.DEADLINE_EXCEEDED,
  NOT_FOUND: CODE.NOT_FOUND,
  PERMISSION_DENIED: CODE.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: CODE.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: CODE.FAILED_PRECONDITION,
  INTERNAL: CODE.INTERNAL,
  UNAVAILABLE: CODE.UNAVAILABLE,
  UNAUTHENTICATED: CODE.UNAUTHENTICATED,
};

/** Google's JSON error body (`{"error": {"code", "message", "status"}}`), wherever the transport left it. */
function errorBody(error: GoogleErrorShape): { code?: number; message?: string; status?: string } | undefined {
  const candidates: unknown[] = [error.response?.data, error.details, error.message];
  for (const candidate of candidates) {
    let value = candidate;
    if (typeof value === 'string') {
      const start = value.indexOf('{');
      if (start < 0) continue;
      try {
        value = JSON.parse(value.slice(start));
      } catch {
        continue;
      }
    }
    const body = (value as { error?: unknown } | undefined)?.error;
    if (typeof body === 'object' && body !== null) return body as { code?: number; message?: string; status?: string };
  }
  return undefined;
}

/**
 * The gRPC status code of a failed call. The REST transport reports either a GoogleError (gRPC code)
 * or the HTTP error with Google's JSON body; both end up as one code.
 */
function grpcCode(error: GoogleErrorShape): number | undefined {
  const body = errorBody(error);
  if (body?.status && STATUS_TO_CODE[body.status] !== undefined) return STATUS_TO_CODE[body.status];
  if (typeof error.code === 'number' && error.code >= 0 && error.code <= 16) return error.code;
  const http =
    body?.code ?? error.response?.status ?? error.status ?? (typeof error.code === 'number' ? error.code : undefined);
  return http === undefined ? undefined : (HTTP_TO_CODE[http] ?? (http >= 500 ? CODE.INTERNAL : undefined));
}

const vendorText = (error: GoogleErrorShape) =>
  (errorBody(error)?.message || error.details || error.message || '').replace(/\s+/g, ' ').slice(0, 300);

export function toGcpSmError(error: unknown, facts: GcpSmCallFacts): unknown {
  if (ConnectorError.isInstance(error)) return error;
  const google = (typeof error === 'object' && error !== null ? error : {}) as GoogleErrorShape;
  if (google.name === 'AbortError') return error;
  const code = grpcCode(google);
  const typed = describe(google, code, facts);
  Object.defineProperty(typed, GCP_CODE, { value: code });
  return typed;
}

function describe(google: GoogleErrorShape, code: number | undefined, facts: GcpSmCallFacts): ConnectorError {
  const where = facts.secret ? `projects/${facts.project}/secrets/${facts.secret}` : `projects/${facts.project}`;
  const what = `${facts.operation} on ${where}`;
  switch (code) {
    case CODE.PERMISSION_DENIED: {
      const permission =
        facts.operation === 'ListSecrets' ? 'secretmanager.secrets.list' : 'secretmanager.versions.access';
      return new AuthenticationError({
        connector: CONNECTOR,
        message: `${what} was refused (PERMISSION_DENIED): grant ${permission} to the service account (roles/secretmanager.viewer for listing, roles/secretmanager.secretAccessor for reading; docs/discovery-gcpsm.md), or check that the project exists`,
      });
    }
    case CODE.UNAUTHENTICATED:
      return new AuthenticationError({
        connector: CONNECTOR,
        message: `Google rejected the credentials for ${facts.operation} (UNAUTHENTICATED): check the service account key file in credentials (not revoked or deleted) or the Application Default Credentials on the server host, and the host clock`,
      });
    case CODE.NOT_FOUND:
      return new VendorApiError({
        connector: CONNECTOR,
        status: 404,
        retryable: false,
        message: `${what}: the secret is gone or has no versions (NOT_FOUND)`,
      });
    case CODE.FAILED_PRECONDITION:
      return new VendorApiError({
        connector: CONNECTOR,
        status: 400,
        retryable: false,
        message: `${what}: the latest version cannot be read (FAILED_PRECONDITION: ${vendorText(google)}); enable it or add a new version`,
      });
    case CODE.RESOURCE_EXHAUSTED:
      return new VendorApiError({
        connector: CONNECTOR,
        status: 429,
        retryable: true,
        message: `${what}: Secret Manager quota exhausted (RESOURCE_EXHAUSTED): the next scheduled scan retries; narrow label_filter/name_prefix or raise the project's Secret Manager quota`,
      });
    case CODE.UNAVAILABLE:
    case CODE.DEADLINE_EXCEEDED:
    case CODE.INTERNAL:
      return new VendorApiError({
        connector: CONNECTOR,
        retryable: true,
        message: `${what} failed (${vendorText(google) || `code ${code}`}): Secret Manager is unavailable or slow; the next scan retries`,
      });
    default:
      return new VendorApiError({
        connector: CONNECTOR,
        retryable: false,
        message: `${what} failed (${code === undefined ? (google.name ?? 'Error') : `code ${code}`}): ${vendorText(google) || 'no message'}`,
      });
  }
}
