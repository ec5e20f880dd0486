/** Turns what acme-client throws (plain Errors carrying the CA's problem detail) into typed connector errors. */
import { ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

/** An RFC 7807 / RFC 8555 section 6.7 problem document, as far as we read it. */
export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: AcmeProblem[];
}

export function isAcmeProblem(value: unknown): value is AcmeProblem {
  return typeof value === 'object' && value !== null && typeof (value as AcmeProblem).type === 'string';
}

/** `urn:ietf:params:acme:error:rejectedIdentifier: detail` for messages. */
export function describeProblem(problem: AcmeProblem): string {
  const type = problem.type?.replace(/^urn:ietf:params:acme:error:/, '') ?? 'error';
  return problem.detail ? `${type}: ${problem.detail}` : type;
}

/** Wraps anything thrown while talking to the CA; typed errors pass through unchanged. */
export function toConnectorError(error: unknown, operation: string, signal?: AbortSignal): ConnectorError {
  if (ConnectorError.isInstance(error)) return error;
  if (signal?.aborted) {
    return new DeadlineExceededError({
      connector: CONNECTOR,
      message: `${operation} was aborted or ran out of time`,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new VendorApiError({
    connector: CONNECTOR,
    message: `${operation} failed: ${message}`,
    // acme-client reports CA refusals as plain Errors after its own retries: not worth repeating blindly.
    retryable: false,
    cause: error,
  });
}
