import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConnectorError, type ConnectorLogger } from '@certctl/core';
import { Agent, Dispatcher } from 'undici';
import { createSsrfAgent } from './ssrf-agent.js';
import type { SsrfPolicy } from './ssrf-policy.js';

export interface MtlsAgentOptions {
  /** PEM client certificate (with its chain, leaf first). */
  certPath: string;
  /** PEM private key of the client certificate. */
  keyPath: string;
  /** PEM CA bundle trusted for the server; the system store when omitted. */
  caPath?: string;
  passphrase?: string;
  /** TLS server name when it differs from the URL's host. */
  servername?: string;
  /** Every connection obeys this policy when given (pinned lookup). */
  ssrfPolicy?: SsrfPolicy;
  /** Connector id for error messages. */
  connector?: string;
  logger?: ConnectorLogger;
  /** Pool options for the underlying undici Agent. */
  agentOptions?: Omit<Agent.Options, 'connect'>;
}

interface LoadedCredentials {
  agent: Agent;
  stamp: string;
}

/**
 * An undici dispatcher presenting a client certificate read from files. Before each request it stats
 * the files (cheap) and, when any changed, reloads and checks the key pair and switches to a fresh
 * connection pool; the old pool finishes its in-flight requests. A file that cannot be read fails the
 * request: stale credentials are never used.
 */
export class MtlsAgent extends Dispatcher {
  readonly #options: MtlsAgentOptions;
  #current: LoadedCredentials | undefined;
  #closed = false;

  constructor(options: MtlsAgentOptions) {
    super();
    this.#options = options;
  }

  /** Loads (or reloads) the credentials now; throws what a request would fail with. */
  refresh(): Agent {
    const { certPath, keyPath, caPath, connector } = this.#options;
    const paths = caPath ? [certPath, keyPath, caPath] : [certPath, keyPath];
    let stamp: string;
    try {
      stamp = paths
        .map((path) => {
          const stat = statSync(path, { bigint: true });
          return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
        })
        .join('|');
    } catch (cause) {
      this.#drop();
      throw credentialError(connector, `cannot stat the client credentials: ${describeFsError(cause)}`, cause);
    }
    if (this.#current?.stamp === stamp) return this.#current.agent;

    let cert: Buffer;
    let key: Buffer;
    let ca: Buffer | undefined;
    try {
      cert = readFileSync(certPath);
      key = readFileSync(keyPath);
      ca = caPath ? readFileSync(caPath) : undefined;
    } catch (cause) {
      this.#drop();
      throw credentialError(connector, `cannot read the client credentials: ${describeFsError(cause)}`, cause);
    }
    try {
      // Throws on a key that does not match the certificate (e.g. a rotation caught half-written).
      createSecureContext({ cert, key, passphrase: this.#options.passphrase });
    } catch (cause) {
      this.#drop();
      throw credentialError(
        connector,
        `client certificate ${certPath} and key ${keyPath} do not form a usable pair (${(cause as Error).message}); check that both were rotated together`,
        cause,
      );
    }
    const connect = { cert, key, ca, passphrase: this.#options.passphrase, servername: this.#options.servername };
    const agentOptions = { ...this.#options.agentOptions, connect };
    const agent = this.#options.ssrfPolicy
      ? createSsrfAgent(this.#options.ssrfPolicy, agentOptions)
      : new Agent(agentOptions);
    const reloaded = this.#current !== undefined;
    this.#drop();
    this.#current = { agent, stamp };
    if (reloaded) this.#options.logger?.info({ certPath }, 'client certificate changed on disk; reloaded');
    return agent;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closed) return failDispatch(handler, credentialError(this.#options.connector, 'mTLS agent is closed'));
    let agent: Agent;
    try {
      agent = this.refresh();
    } catch (error) {
      return failDispatch(handler, error as Error);
    }
    return agent.dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const done = this.#current ? this.#current.agent.close() : Promise.resolve();
    this.#current = undefined;
    if (!callback) return done;
    done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const callback = typeof first === 'function' ? first : second;
    const error = typeof first === 'function' ? null : (first ?? null);
    this.#closed = true;
    const done = this.#current ? this.#current.agent.destroy(error) : Promise.resolve();
    this.#current = undefined;
    if (!callback) return done;
    done.then(callback, callback);
  }

  #drop(): void {
    const previous = this.#current;
    this.#current = undefined;
    previous?.agent.close().catch(() => undefined);
  }
}

/** Creates an mTLS dispatcher whose client certificate follows the files on disk (see MtlsAgent). */
export function createMtlsAgent(options: MtlsAgentOptions): MtlsAgent {
  return new MtlsAgent(options);
}

function credentialError(connector: string | undefined, message: string, cause?: unknown): ConnectorError {
  return new ConnectorError({ connector, message, cause, retryable: false });
}

function describeFsError(error: unknown): string {
  const { code, path } = error as NodeJS.ErrnoException;
  return code && path ? `${code} ${path}` : (error as Error).message;
}

type AnyHandler = {
  onError?: (error: Error) => void;
  onRequestStart?: unknown;
  onResponseError?: (controller: unknown, error: Error) => void;
};

/** Delivers an error to an undici handler of either generation, as Agent.dispatch does for its own errors. */
function failDispatch(handler: Dispatcher.DispatchHandler, error: Error): boolean {
  const h = handler as unknown as AnyHandler;
  if (typeof h.onError === 'function') {
    h.onError(error);
  } else if (typeof h.onResponseError === 'function') {
    h.onResponseError({ abort() {}, pause() {}, resume() {}, paused: false, aborted: true, reason: error }, error);
  } else {
    throw error;
  }
  return false;
}
