import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { durationMs, positiveInt } from '../config/env-values.js';

/**
 * How long a client may take, and how many connections it may hold, on both listeners (API and
 * PKI). A client that trickles a request is cut off; the others are served meanwhile.
 */
export const HTTP_CONNECTION_VARIABLES = {
  CERTCTL_HTTP_REQUEST_TIMEOUT: durationMs
    .default(30_000)
    .describe('The whole request (headers and body) must arrive within this time, else 408 and the connection closes.'),
  CERTCTL_HTTP_HEADERS_TIMEOUT: durationMs
    .default(10_000)
    .describe('The request line and headers must arrive within this time.'),
  CERTCTL_HTTP_IDLE_TIMEOUT: durationMs
    .default(120_000)
    .describe('A connection with no bytes in either direction for this long is closed (a stalled body, a dead peer).'),
  CERTCTL_HTTP_KEEP_ALIVE_TIMEOUT: durationMs
    .default(5_000)
    .describe('An idle keep-alive connection is closed after this time.'),
  CERTCTL_HTTP_MAX_REQUESTS_PER_CONNECTION: positiveInt
    .default(1_000)
    .describe('A keep-alive connection is closed after this many requests.'),
  CERTCTL_HTTP_MAX_CONNECTIONS_PER_IP: positiveInt
    .default(64)
    .describe('Open connections one client address may hold per listener; further ones are closed at once.'),
} as const;

export interface ConnectionLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxRequestsPerConnection: number;
  maxConnectionsPerIp: number;
}

type Parsed = z.output<z.ZodObject<typeof HTTP_CONNECTION_VARIABLES>>;

export function toConnectionLimits(env: Parsed): ConnectionLimits {
  return {
    requestTimeoutMs: env.CERTCTL_HTTP_REQUEST_TIMEOUT,
    // Node refuses a headers timeout longer than the request timeout; the request timeout covers both.
    headersTimeoutMs: Math.min(env.CERTCTL_HTTP_HEADERS_TIMEOUT, env.CERTCTL_HTTP_REQUEST_TIMEOUT),
    idleTimeoutMs: env.CERTCTL_HTTP_IDLE_TIMEOUT,
    keepAliveTimeoutMs: env.CERTCTL_HTTP_KEEP_ALIVE_TIMEOUT,
    maxRequestsPerConnection: env.CERTCTL_HTTP_MAX_REQUESTS_PER_CONNECTION,
    maxConnectionsPerIp: env.CERTCTL_HTTP_MAX_CONNECTIONS_PER_IP,
  };
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = toConnectionLimits(
  z.object(HTTP_CONNECTION_VARIABLES).parse({}),
);

/** Options for Node's `http(s).createServer`: the timeouts Node enforces itself. */
export function nodeServerOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the request and headers timeouts on this interval (30 s by default, which would
    // let a slow client overstay a short timeout by that much).
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** The same limits in fastify's own options (fastify applies them to the server it creates). */
export function fastifyServerOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerConnection,
  };
}

/**
 * Closes a new connection at once when its address already holds `max` open ones on this server.
 * Counted on the TCP connection, before TLS, so a TLS handshake costs nothing to refuse.
 */
export function capConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
