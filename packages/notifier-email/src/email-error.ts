import { ConnectorError } from '@certctl/core';

const TLS_MARKER = Symbol.for('certctl.error.SmtpTlsError');

/**
 * The SMTP session could not be secured: the server offered no STARTTLS although TLS is required, or
 * its certificate is not trusted or does not match the host. Not retryable: it needs the operator.
 */
export class SmtpTlsError extends ConnectorError {
  override readonly code = 'tls_failed';

  constructor(options: { message: string; cause?: unknown }) {
    super({ connector: 'notifier-email', message: options.message, cause: options.cause, retryable: false });
    this.name = 'SmtpTlsError';
    Object.defineProperty(this, TLS_MARKER, { value: true });
  }

  static override isInstance(value: unknown): value is SmtpTlsError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TLS_MARKER] === true;
  }
}
