import type { ConnectorContext, ConnectorLogger } from './context.js';
import {
  ConnectorError,
  ConnectorUnavailableError,
  DeadlineExceededError,
  MalformedInputError,
  UnsupportedOperationError,
  VendorApiError,
} from './errors.js';
import type { ContractMethod, StreamingContractMethod } from './contract-methods.js';
import { createDeadlineSignal } from './deadline-signal.js';
import { requestProblem } from './request-schemas.js';
import type { CapabilitiesByKind, ConnectorKind, ConnectorManifest, InstanceByKind } from './manifest.js';
import { scrubSecrets } from './config-schema.js';

/** How each contract method receives its abort signal: inside its single request object, or as an options argument. */
type SignalPlacement = { kind: 'request' } | { kind: 'options'; index: number } | { kind: 'positional'; index: number };

/** Every contract method must have an entry (and streaming ones `stream: true`), or this file does not compile. */
type SignalTable = {
  [M in ContractMethod]: SignalPlacement & (M extends StreamingContractMethod ? { stream: true } : { stream?: never });
};

const METHOD_SIGNALS = {
  issue: { kind: 'request' },
  renew: { kind: 'request' },
  revoke: { kind: 'request' },
  generateCrl: { kind: 'request' },
  signOcsp: { kind: 'request' },
  deploy: { kind: 'request' },
  validateDeployment: { kind: 'request' },
  dryRun: { kind: 'request' },
  send: { kind: 'request' },
  getOrder: { kind: 'options', index: 1 },
  renewalInfo: { kind: 'options', index: 1 },
  resolve: { kind: 'options', index: 1 },
  caChain: { kind: 'options', index: 0 },
  testConnection: { kind: 'options', index: 0 },
  listExisting: { kind: 'options', index: 0, stream: true },
  accountMetadata: { kind: 'options', index: 0 },
  listCas: { kind: 'options', index: 0 },
  createCa: { kind: 'request' },
  setIssuingCa: { kind: 'options', index: 1 },
  retireCa: { kind: 'request' },
  scan: { kind: 'positional', index: 0, stream: true },
} as const satisfies SignalTable;

const signalPlacement = (method: ContractMethod): SignalPlacement & { stream?: true } => METHOD_SIGNALS[method];

function isContractMethod(name: string): name is ContractMethod {
  return Object.hasOwn(METHOD_SIGNALS, name);
}

export const DEFAULT_CALL_TIMEOUTS_MS: Readonly<Record<string, number>> = {
  issue: 300_000,
  renew: 300_000,
  getOrder: 120_000,
  deploy: 300_000,
  listExisting: 1_800_000,
  scan: 1_800_000,
  default: 60_000,
};

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * What the apps hold: the connector's methods, each with single lazy init, a deadline, abort,
 * error normalisation and redacted logging. Calling a method the connector lacks throws
 * UnsupportedOperationError; `supports()` says beforehand.
 */
export type ConnectorRuntime<K extends ConnectorKind> = Required<Omit<InstanceByKind[K], 'start' | 'stop'>> & {
  readonly kind: K;
  readonly connectorId: string;
  readonly instanceId: string;
  readonly capabilities: CapabilitiesByKind[K];
  readonly manifest: ConnectorManifest<K>;
  /** Whether the underlying instance implements `method`. Forces initialisation. */
  supports(method: string): Promise<boolean>;
  /** Initialises the instance now (create + start) instead of on first use. */
  init(): Promise<void>;
  /** Stops the instance; safe to call twice; later calls fail with ConnectorUnavailableError. */
  stop(): Promise<void>;
};

export interface RuntimeOptions {
  instanceId: string;
  ctx: ConnectorContext;
  /** Config as parsed by the manifest's schema. */
  config: unknown;
  /** Secret values of this config, scrubbed from every error message and log line. */
  secrets: readonly string[];
  logger: ConnectorLogger;
  timeoutsMs?: Partial<Record<string, number>>;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function errorCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | null)?.code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** Turns anything a connector throws into a typed ConnectorError with secrets scrubbed from its message. */
export function normaliseError(
  error: unknown,
  connector: string,
  method: string,
  secrets: readonly string[],
): ConnectorError {
  if (ConnectorError.isInstance(error)) {
    const scrubbed = scrubSecrets(error.message, secrets);
    if (scrubbed !== error.message) (error as { message: string }).message = scrubbed;
    return error;
  }
  const raw = error instanceof Error ? error.message : String(error);
  const message = `${method} failed: ${scrubSecrets(raw, secrets)}`;
  const code = errorCode(error);
  if (code && NETWORK_CODES.has(code))
    return new VendorApiError({ connector, message: `${message} (${code})`, cause: error });
  return new ConnectorError({ connector, message, cause: error, retryable: false });
}

function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: () => void = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function withSignal(method: ContractMethod, args: unknown[], signal: AbortSignal): unknown[] {
  const placement = signalPlacement(method);
  const out = [...args];
  if (placement.kind === 'request') {
    out[0] = { ...((out[0] as object | undefined) ?? {}), signal };
  } else if (placement.kind === 'options') {
    while (out.length < placement.index) out.push(undefined);
    out[placement.index] = { ...((out[placement.index] as object | undefined) ?? {}), signal };
  } else {
    out[placement.index] = signal;
  }
  return out;
}

function callerSignal(method: ContractMethod, args: unknown[]): AbortSignal | undefined {
  const placement = signalPlacement(method);
  if (placement.kind === 'positional') return args[placement.index] as AbortSignal | undefined;
  const holder = args[placement.kind === 'request' ? 0 : placement.index] as { signal?: AbortSignal } | undefined;
  return holder?.signal;
}

export function createRuntime<K extends ConnectorKind>(
  manifest: ConnectorManifest<K>,
  options: RuntimeOptions,
): ConnectorRuntime<K> {
  const connector = `${manifest.kind}-${manifest.id}`;
  const { ctx, secrets, logger } = options;
  let instancePromise: Promise<InstanceByKind[K]> | undefined;
  let stopped = false;
  let stopPromise: Promise<void> | undefined;

  const init = (): Promise<InstanceByKind[K]> => {
    if (stopped) {
      return Promise.reject(
        new ConnectorUnavailableError({ connector, message: `instance ${options.instanceId} has been stopped` }),
      );
    }
    if (!instancePromise) {
      instancePromise = (async () => {
        const instance = await manifest.create(options.config as never, ctx);
        if (typeof instance?.start === 'function') await instance.start();
        logger.debug({ instance: options.instanceId }, 'connector initialised');
        return instance;
      })().catch((error: unknown) => {
        // A failed init is not cached: the next call tries again (the vendor may be back).
        instancePromise = undefined;
        throw normaliseError(error, connector, 'init', secrets);
      });
    }
    return instancePromise;
  };

  const timeoutFor = (method: string, override?: number) =>
    override ?? options.timeoutsMs?.[method] ?? DEFAULT_CALL_TIMEOUTS_MS[method] ?? DEFAULT_CALL_TIMEOUTS_MS.default!;

  // Joins the connector's and the caller's signals without AbortSignal.any (see createDeadlineSignal).
  const deadlineSignal = (method: ContractMethod, args: unknown[], timeoutMs: number) => {
    const deadline = createDeadlineSignal(
      timeoutMs,
      [ctx.signal, callerSignal(method, args)],
      () => new DeadlineExceededError({ connector, message: `${method} did not finish within ${timeoutMs} ms` }),
    );
    return { signal: deadline.signal, clear: deadline.dispose };
  };

  const abortReason = (signal: AbortSignal, method: string) =>
    DeadlineExceededError.isInstance(signal.reason)
      ? signal.reason
      : new DeadlineExceededError({ connector, message: `${method} was aborted`, cause: signal.reason });

  const call = async (method: ContractMethod, args: unknown[]): Promise<unknown> => {
    // A caller's malformed request is its bug, named by field, before the connector sees it.
    const problem = requestProblem(method, args[0]);
    if (problem) throw new MalformedInputError({ connector, message: problem, inputKind: 'request' });
    const instance = (await init()) as unknown as Record<string, unknown>;
    const fn = instance[method];
    if (typeof fn !== 'function') {
      if (method === 'renew') return call('issue', args);
      throw new UnsupportedOperationError({ connector, operation: method });
    }
    const started = performance.now();
    const { signal, clear } = deadlineSignal(method, args, timeoutFor(method));
    if (signal.aborted) {
      // Cancelled before it started: the connector is not called at all.
      clear();
      throw abortReason(signal, method);
    }
    const aborted = abortPromise(signal);
    try {
      const result = await Promise.race([
        (fn as (...a: unknown[]) => Promise<unknown>).apply(instance, withSignal(method, args, signal)),
        aborted.promise,
      ]);
      logger.debug(
        { method, instance: options.instanceId, duration_ms: Math.round(performance.now() - started) },
        'call succeeded',
      );
      return result;
    } catch (error) {
      const typed = signal.aborted ? abortReason(signal, method) : normaliseError(error, connector, method, secrets);
      logger.warn(
        { method, instance: options.instanceId, error: typed.message, code: typed.code, retryable: typed.retryable },
        'call failed',
      );
      throw typed;
    } finally {
      aborted.dispose();
      clear();
    }
  };

  const stream = (method: ContractMethod, args: unknown[]): AsyncIterable<unknown> => ({
    [Symbol.asyncIterator]: async function* () {
      const instance = (await init()) as unknown as Record<string, unknown>;
      const fn = instance[method];
      if (typeof fn !== 'function') throw new UnsupportedOperationError({ connector, operation: method });
      const { signal, clear } = deadlineSignal(method, args, timeoutFor(method));
      const aborted = abortPromise(signal);
      const iterable = (fn as (...a: unknown[]) => AsyncIterable<unknown>).apply(
        instance,
        withSignal(method, args, signal),
      );
      const iterator = iterable[Symbol.asyncIterator]();
      try {
        for (;;) {
          // Race each step against the deadline so a connector that hangs mid-stream cannot hold the caller.
          const step = await Promise.race([iterator.next(), aborted.promise]);
          if (step.done) return;
          yield step.value;
        }
      } catch (error) {
        throw signal.aborted ? abortReason(signal, method) : normaliseError(error, connector, method, secrets);
      } finally {
        aborted.dispose();
        clear();
        if (signal.aborted) void Promise.resolve(iterator.return?.()).catch(() => {});
      }
    },
  });

  const base = {
    kind: manifest.kind,
    connectorId: manifest.id,
    instanceId: options.instanceId,
    capabilities: manifest.capabilities,
    manifest,
    async supports(method: string) {
      const instance = (await init()) as unknown as Record<string, unknown>;
      return typeof instance[method] === 'function' || (method === 'renew' && typeof instance.issue === 'function');
    },
    async init() {
      await init();
    },
    stop(): Promise<void> {
      if (stopPromise) return stopPromise;
      stopped = true;
      const pending = instancePromise;
      stopPromise = (async () => {
        if (!pending) return;
        const instance = await pending.catch(() => undefined);
        if (instance && typeof instance.stop === 'function') {
          try {
            await instance.stop();
          } catch (error) {
            logger.warn(
              { instance: options.instanceId, error: normaliseError(error, connector, 'stop', secrets).message },
              'stop failed',
            );
          }
        }
      })();
      return stopPromise;
    },
  };

  return new Proxy(base, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string' || prop in target) return Reflect.get(target, prop, receiver);
      if (!isContractMethod(prop)) return undefined;
      if (signalPlacement(prop).stream) return (...args: unknown[]) => stream(prop, args);
      return (...args: unknown[]) => call(prop, args);
    },
  }) as unknown as ConnectorRuntime<K>;
}
