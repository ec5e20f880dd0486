import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';

/** A message without the `[certctl] [<connector>] ` prefix its error added, to be quoted inside another. */
export function withoutConnectorPrefix(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\[certctl\] (\[[^\]]+\] )?/, '');
}

/**
 * The error a target throws when a deploy failed and it tried to restore what was there: the same
 * kind (an authentication refusal stays one; status and retryability are kept) with what failed
 * and how the restore went in one message.
 */
export function deployFailedError(connector: string, error: unknown, outcome: string): ConnectorError {
  const message = `${withoutConnectorPrefix(error)}; ${outcome}`;
  if (AuthenticationError.isInstance(error)) return new AuthenticationError({ connector, message });
  return new VendorApiError({
    connector,
    status: VendorApiError.isInstance(error) ? error.status : undefined,
    retryable: ConnectorError.isInstance(error) ? error.retryable : false,
    message,
  });
}
