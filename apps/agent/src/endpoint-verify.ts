import { createHash } from 'node:crypto';
import { connect } from 'node:tls';
import type { Verification } from './server-client.js';

export interface VerifyEndpointOptions {
  /** `host:port` (IPv6 as `[::1]:443`). */
  endpoint: string;
  /** SNI to send; default the host when it is a name. */
  serverName?: string;
  expectedFingerprint: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Pause between attempts while the service finishes reloading. */
  retryEveryMs?: number;
}

export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint.trim());
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) throw new Error(`verify endpoint "${endpoint}" is not host:port`);
  return { host: (match[1] ?? match[2]) as string, port };
}

/** One TLS handshake: the SHA-256 fingerprint of the leaf the endpoint serves (trust is not the question here, identity is). */
export function servedFingerprint(
  host: string,
  port: number,
  serverName: string | undefined,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: serverName, rejectUnauthorized: false, timeout: timeoutMs });
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate()?.raw;
      socket.end();
      if (!raw) reject(new Error('the endpoint presented no certificate'));
      else resolve(createHash('sha256').update(raw).digest('hex'));
    });
    socket.once('timeout', () => fail(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('error', fail);
  });
}

/**
 * Checks that the endpoint now serves the new certificate. A service that reloads gracefully keeps
 * answering with old workers for a moment, so a mismatch is retried until the deadline.
 */
export async function verifyEndpoint(options: VerifyEndpointOptions): Promise<Verification> {
  const { host, port } = parseEndpoint(options.endpoint);
  const serverName = options.serverName ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  const expected = options.expectedFingerprint.toLowerCase().replaceAll(':', '');
  const deadline = Date.now() + options.timeoutMs;
  let actual: string | null = null;
  let detail = '';
  for (;;) {
    try {
      actual = await servedFingerprint(host, port, serverName, Math.max(100, deadline - Date.now()));
      detail = actual === expected ? 'endpoint serves the new certificate' : 'endpoint serves a different certificate';
      if (actual === expected) break;
    } catch (error) {
      detail = `TLS handshake failed: ${(error as Error).message}`;
    }
    if (Date.now() + (options.retryEveryMs ?? 250) >= deadline || options.signal?.aborted) break;
    await new Promise((r) => setTimeout(r, options.retryEveryMs ?? 250));
  }
  return {
    endpoint: options.endpoint,
    expected_fingerprint: expected,
    actual_fingerprint: actual,
    verified: actual === expected,
    detail,
    verified_at: new Date().toISOString(),
  };
}

/** The target's verify settings, if it names an endpoint: `post_deploy_verify: { endpoint, server_name?, enabled? }`. */
export function verifySettingsOf(
  targetConfig: Record<string, unknown> | undefined,
): { endpoint: string; serverName?: string } | undefined {
  const raw = targetConfig?.post_deploy_verify;
  if (!raw || typeof raw !== 'object') return undefined;
  const settings = raw as { endpoint?: unknown; server_name?: unknown; enabled?: unknown };
  if (settings.enabled === false || typeof settings.endpoint !== 'string' || !settings.endpoint) return undefined;
  return {
    endpoint: settings.endpoint,
    serverName: typeof settings.server_name === 'string' ? settings.server_name : undefined,
  };
}
