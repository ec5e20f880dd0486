import { ConnectorError } from '@certctl/core';

/**
 * The SMTP session could not be secured: the server offered no STARTTLS although TLS is required, or
 * its certificate is not trusted or does not match the host. Not retryable: it needs the operator.
 */
export class SmtpTlsError extends ConnectorError {
  static override readonly errorName: string = 'SmtpTlsError';
  override readonly code = 'tls_failed';

  constructor(options: { message: string; cause?: unknown }) {
    super({ connector: 'notifier-email', message: options.message, cause: options.cause, retryable: false });
    this.name = 'SmtpTlsError';
  }
}
