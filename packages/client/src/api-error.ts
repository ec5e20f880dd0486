import { VendorApiError } from '@certctl/core';

/** What the server says in every 4xx/5xx answer. */
export interface ErrorEnvelope {
  error: string;
  message: string;
  request_id: string;
  details?: unknown;
}

/**
 * A certctl server refused a call (4xx/5xx) or could not be reached (`status` undefined). `error`,
 * `serverMessage` and `requestId` are the server's `{error, message, request_id}`; quote the request
 * id to the server's operator, it names the log line. `retryable` holds for 408, 429, 5xx and network errors.
 */
export class CertctlApiError extends VendorApiError {
  static override readonly errorName: string = 'CertctlApiError';
  /** The server's machine-readable code (`not_found`, `validation_failed`, ...), or `network_error`. */
  readonly error: string;
  readonly serverMessage: string;
  readonly requestId: string | undefined;
  readonly details: unknown;
  readonly method: string;
  readonly path: string;

  constructor(options: {
    method: string;
    path: string;
    status?: number;
    envelope?: Partial<ErrorEnvelope>;
    body?: string;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    const envelope = options.envelope ?? {};
    const said = envelope.message ?? options.body?.replace(/\s+/g, ' ').trim().slice(0, 200) ?? 'no answer';
    super({
      connector: 'client',
      status: options.status,
      body: options.body,
      retryAfterSeconds: options.retryAfterSeconds,
      cause: options.cause,
      message: `${options.method} ${options.path} ${options.status === undefined ? 'failed' : `answered ${options.status}`}: ${said}${envelope.request_id ? ` (request ${envelope.request_id})` : ''}`,
    });
    this.name = 'CertctlApiError';
    this.error = envelope.error ?? (options.status === undefined ? 'network_error' : `http_${options.status}`);
    this.serverMessage = said;
    this.requestId = envelope.request_id;
    this.details = envelope.details;
    this.method = options.method;
    this.path = options.path;
  }
}
