import type { ConnectionOptions } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { parseIpAddress } from './ip-address.js';
import type { SsrfPolicy } from './ssrf-policy.js';

/** TLS and socket options for outgoing connections (client certificate, CA, servername ...). */
export type SsrfConnectOptions = Omit<ConnectionOptions, 'lookup' | 'host' | 'port' | 'socket' | 'path'> & {
  /** Connect timeout in ms (undici's default is 10 s). */
  timeout?: number | null;
  allowH2?: boolean;
  maxCachedSessions?: number | null;
  keepAlive?: boolean | null;
  keepAliveInitialDelay?: number | null;
};

/**
 * An undici connector that checks every connection against the policy at connect time: literal
 * addresses directly, names through the policy's pinned lookup, so the socket goes to the very
 * address that was checked (DNS rebinding cannot swap it) and redirects are checked too.
 */
export function createSsrfConnector(
  policy: SsrfPolicy,
  connectOptions: SsrfConnectOptions = {},
): buildConnector.connector {
  const connect = buildConnector({ ...connectOptions, lookup: policy.lookup } as buildConnector.BuildOptions);
  return (options, callback) => {
    if (options.protocol !== 'http:' && options.protocol !== 'https:') {
      callback(new Error(`refused to connect: scheme ${options.protocol} is not allowed`), null);
      return;
    }
    if (parseIpAddress(options.hostname)) {
      try {
        policy.assertAddress(options.hostname);
      } catch (error) {
        callback(error as Error, null);
        return;
      }
    }
    connect(options, callback);
  };
}

export interface SsrfAgentOptions extends Omit<Agent.Options, 'connect'> {
  connect?: SsrfConnectOptions;
}

/** An undici Agent whose every connection obeys the SSRF policy (pinned to the checked address). */
export function createSsrfAgent(policy: SsrfPolicy, options: SsrfAgentOptions = {}): Agent {
  const { connect, ...agentOptions } = options;
  return new Agent({ ...agentOptions, connect: createSsrfConnector(policy, connect) });
}
