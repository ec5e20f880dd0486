/**
 * Errors of the CAS client library (GoogleError: a gRPC status `code`, the service's message and,
 * for IAM denials, an ErrorInfo naming the permission) as certctl's typed errors.
 */
import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

/** The CAS methods certctl calls, and the IAM permission each needs. */
export const CAS_PERMISSIONS = {
  CreateCertificate: 'privateca.certificates.create',
  GetCertificate: 'privateca.certificates.get',
  ListCertificates: 'privateca.certificates.list',
  RevokeCertificate: 'privateca.certificates.update',
  FetchCaCerts: 'privateca.certificateAuthorities.list',
  GetCertificateAuthority: 'privateca.certificateAuthorities.get',
  GetCaPool: 'privateca.caPools.get',
} as const;

export type CasMethod = keyof typeof CAS_PERMISSIONS;

/** gRPC status codes the service answers with. */
const HTTP_STATUS: Record<number, number> = {
  3: 400, // INVALID_ARGUMENT
  4: 504, // DEADLINE_EXCEEDED
  5: 404, // NOT_FOUND
  6: 409, // ALREADY_EXISTS
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 400, // FAILED_PRECONDITION
  10: 409, // ABORTED
  13: 500, // INTERNAL
  14: 503, // UNAVAILABLE
  16: 401, // UNAUTHENTICATED
};

interface GoogleErrorLike {
  code?: number;
  message?: string;
  details?: unknown;
  errorInfoMetadata?: Record<string, string>;
}

/** The gRPC code of a GoogleError behind a mapped error (or the error itself). */
export function grpcCode(error: unknown): number | undefined {
  const cause = ConnectorError.isInstance(error) ? (error as { cause?: unknown }).cause : error;
  const code = (cause as GoogleErrorLike | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function casError(error: unknown, method: CasMethod, resource: string, principal: string): ConnectorError {
  if (ConnectorError.isInstance(error)) return error;
  const google = (error ?? {}) as GoogleErrorLike;
  const text = typeof google.details === 'string' && google.details ? google.details : (google.message ?? '');
  const said = (text || 'no message').replace(/^\d+ [A-Z_]+: /, '').slice(0, 300);
  const code = google.code;
  if (code === 7) {
    const permission = google.errorInfoMetadata?.permission ?? CAS_PERMISSIONS[method];
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${method} on ${resource} was denied (${said}); grant ${principal} the permission "${permission}" on the CA pool, e.g. with a role holding it (docs/issuer-googlecas.md has a custom role)`,
      cause: error,
    });
  }
  if (code === 16) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${method}: Google did not accept the credentials of ${principal} (${said}); check the service account key or the ambient credentials`,
      cause: error,
    });
  }
  const status = code === undefined ? undefined : (HTTP_STATUS[code] ?? 500);
  const hint =
    code === 5
      ? '; check project, location, ca_pool (and certificate_authority_id): the resource does not exist or is in another location'
      : code === 9
        ? '; the CA pool may have no enabled CA, or its issuance policy refuses the request'
        : '';
  if (status === undefined) {
    return new VendorApiError({
      connector: CONNECTOR,
      message: `${method} failed before Google answered (${said})`,
      cause: error,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status,
    body: said,
    retryable: [4, 8, 10, 13, 14].includes(code!),
    message: `${method} on ${resource} failed (${status}: ${said})${hint}`,
    cause: error,
  });
}
