/**
 * The typed error family every connector throws. Errors are recognised by `Symbol.for` markers, not
 * `instanceof`, so `VendorApiError.isInstance(e)` holds even when two copies of @certctl/core are
 * installed (an app and a third-party connector resolving different versions).
 */

const markerFor = (name: string): symbol => Symbol.for(`certctl.error.${name}`);
interface ErrorClass {
  readonly errorName?: string;
}

export interface ConnectorErrorOptions {
  /** The connector's package suffix, e.g. `issuer-acme`; omitted for errors raised by core itself. */
  connector?: string;
  message: string;
  cause?: unknown;
  retryable?: boolean;
}

function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

function formatMessage(connector: string | undefined, message: string): string {
  if (message.startsWith('[certctl]')) return message;
  return connector ? `[certctl] [${connector}] ${message}` : `[certctl] ${message}`;
}

export class ConnectorError extends Error {
  /** Machine-readable name of the error class; stable across versions. */
  readonly code: string = 'connector_error';
  readonly connector: string | undefined;
  /** Whether repeating the same call later may succeed (network errors, 429, 5xx, timeouts). */
  readonly retryable: boolean;

  /**
   * Stable name behind this class's `Symbol.for('certctl.error.<name>')` marker. A subclass sets its own
   * to be told apart; one that does not is recognised as its parent.
   */
  static readonly errorName: string = 'ConnectorError';

  constructor(options: ConnectorErrorOptions) {
    super(
      formatMessage(options.connector, options.message),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ConnectorError';
    this.connector = options.connector;
    this.retryable = options.retryable ?? false;
    // One marker per class up the chain, so `VendorApiError.isInstance` and `ConnectorError.isInstance` both hold.
    for (let type: ErrorClass | undefined = new.target; type?.errorName; type = Object.getPrototypeOf(type)) {
      Object.defineProperty(this, markerFor(type.errorName), { value: true, configurable: true });
    }
  }

  /** `instanceof` that works across copies of @certctl/core; inherited by every subclass. */
  static isInstance<T extends ConnectorError>(
    this: { readonly errorName: string; prototype: T },
    value: unknown,
  ): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass it is called on; that is the point.
    return hasMarker(value, markerFor(this.errorName));
  }
}

// Read through a getter so an unbound `VendorApiError.isInstance` (passed to `filter` or `toSatisfy`) still
// knows which class it tests for.
const isInstanceOf = ConnectorError.isInstance;
Object.defineProperty(ConnectorError, 'isInstance', {
  get(this: typeof ConnectorError) {
    return isInstanceOf.bind(this);
  },
});

export interface ConfigIssue {
  /** Dotted path of the offending key, e.g. `eab.hmac` ('' for the whole config). */
  path: string;
  message: string;
}

export class ConfigValidationError extends ConnectorError {
  static override readonly errorName: string = 'ConfigValidationError';
  override readonly code = 'config_invalid';
  readonly issues: ConfigIssue[];

  constructor(
    options: Omit<ConnectorErrorOptions, 'message' | 'retryable'> & { message?: string; issues: ConfigIssue[] },
  ) {
    const summary = options.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super({ ...options, message: options.message ?? `invalid configuration: ${summary}`, retryable: false });
    this.name = 'ConfigValidationError';
    this.issues = options.issues;
  }
}

/** What became of the previous deployment when a deploy failed: put back, nothing to put back, or the restore failed too. */
export type DeployRollback = 'restored' | 'not_needed' | 'failed';

/**
 * A deploy that failed after it started changing the target, saying whether the previous
 * deployment was restored, so agents can report (and servers count) rollbacks.
 */
export class DeployFailedError extends ConnectorError {
  static override readonly errorName: string = 'DeployFailedError';
  override readonly code = 'deploy_failed';
  readonly rollback: DeployRollback;

  constructor(options: ConnectorErrorOptions & { rollback: DeployRollback }) {
    super(options);
    this.name = 'DeployFailedError';
    this.rollback = options.rollback;
  }
}

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** Whether an HTTP status from a vendor API is worth retrying by default. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);
}

export class VendorApiError extends ConnectorError {
  static override readonly errorName: string = 'VendorApiError';
  override readonly code = 'vendor_api_error';
  /** HTTP status, or undefined for a network-level failure (which is retryable). */
  readonly status: number | undefined;
  /** The vendor's error body, truncated; never contains a secret of ours. */
  readonly body: string | undefined;
  /** Seconds the vendor asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: ConnectorErrorOptions & { status?: number; body?: string; retryAfterSeconds?: number }) {
    const retryable = options.retryable ?? (options.status === undefined ? true : isRetryableStatus(options.status));
    super({ ...options, retryable });
    this.name = 'VendorApiError';
    this.status = options.status;
    this.body = options.body === undefined ? undefined : options.body.slice(0, 4096);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class UnsupportedOperationError extends ConnectorError {
  static override readonly errorName: string = 'UnsupportedOperationError';
  override readonly code = 'unsupported_operation';
  readonly operation: string;

  constructor(options: Omit<ConnectorErrorOptions, 'message' | 'retryable'> & { operation: string; message?: string }) {
    super({
      ...options,
      message: options.message ?? `${options.operation} is not supported by this connector`,
      retryable: false,
    });
    this.name = 'UnsupportedOperationError';
    this.operation = options.operation;
  }
}

export class NoSuchConnectorError extends ConnectorError {
  static override readonly errorName: string = 'NoSuchConnectorError';
  override readonly code = 'no_such_connector';
  readonly kind: string;
  readonly id: string;

  constructor(options: { kind: string; id: string; message?: string; cause?: unknown }) {
    super({
      message:
        options.message ??
        `no ${options.kind} connector "${options.id}" is installed; install @certctl/${options.kind === 'discovery' ? 'discovery' : options.kind}-${options.id} next to the app or list it in CERTCTL_CONNECTORS`,
      cause: options.cause,
      retryable: false,
    });
    this.name = 'NoSuchConnectorError';
    this.kind = options.kind;
    this.id = options.id;
  }
}

export class AuthenticationError extends ConnectorError {
  static override readonly errorName: string = 'AuthenticationError';
  override readonly code = 'authentication_failed';

  constructor(options: Omit<ConnectorErrorOptions, 'retryable'>) {
    super({ ...options, retryable: false });
    this.name = 'AuthenticationError';
  }
}

/** Thrown (or returned as a pending result) when a CA accepted an order but has not issued yet. */
export class OrderPendingError extends ConnectorError {
  static override readonly errorName: string = 'OrderPendingError';
  override readonly code = 'order_pending';
  readonly orderId: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    options: Omit<ConnectorErrorOptions, 'message' | 'retryable'> & {
      orderId: string;
      retryAfterSeconds?: number;
      message?: string;
    },
  ) {
    super({ ...options, message: options.message ?? `order ${options.orderId} is pending at the CA`, retryable: true });
    this.name = 'OrderPendingError';
    this.orderId = options.orderId;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A manifest written for a contract version this core does not implement. */
export class UnsupportedSpecificationError extends ConnectorError {
  static override readonly errorName: string = 'UnsupportedSpecificationError';
  override readonly code = 'unsupported_specification';
  readonly specificationVersion: unknown;

  constructor(options: { connector?: string; specificationVersion: unknown; supported: readonly string[] }) {
    super({
      connector: options.connector,
      message: `manifest declares specificationVersion ${JSON.stringify(options.specificationVersion)}, this @certctl/core implements ${options.supported.join(', ')}; upgrade @certctl/core or install a connector version built for it`,
      retryable: false,
    });
    this.name = 'UnsupportedSpecificationError';
    this.specificationVersion = options.specificationVersion;
  }
}

/** A call ran past its deadline or was aborted by its caller. Retryable: the next attempt may be faster. */
export class DeadlineExceededError extends ConnectorError {
  static override readonly errorName: string = 'DeadlineExceededError';
  override readonly code = 'deadline_exceeded';

  constructor(options: Omit<ConnectorErrorOptions, 'retryable'>) {
    super({ ...options, retryable: true });
    this.name = 'DeadlineExceededError';
  }
}

/** Bytes from outside (PEM, DER, CSR, JWS, PKCS#7 ...) that could not be parsed or failed a check. */
export class MalformedInputError extends ConnectorError {
  static override readonly errorName: string = 'MalformedInputError';
  override readonly code = 'malformed_input';
  /** What was being parsed, e.g. `csr`, `certificate`, `pkcs7`, `ocsp-request`. */
  readonly inputKind: string;

  constructor(options: Omit<ConnectorErrorOptions, 'retryable'> & { inputKind: string }) {
    super({ ...options, retryable: false });
    this.name = 'MalformedInputError';
    this.inputKind = options.inputKind;
  }
}

/** A connector that is installed but could not be loaded or initialised. */
export class ConnectorUnavailableError extends ConnectorError {
  static override readonly errorName: string = 'ConnectorUnavailableError';
  override readonly code = 'connector_unavailable';

  constructor(options: Omit<ConnectorErrorOptions, 'retryable'>) {
    super({ ...options, retryable: false });
    this.name = 'ConnectorUnavailableError';
  }
}

/** Whether an error is worth retrying: typed errors say so; unknown errors are not retried. */
export function isRetryable(error: unknown): boolean {
  return ConnectorError.isInstance(error) && error.retryable;
}
