import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ParsedCertificate } from '@certctl/pki';
import type { FastifyRequest } from 'fastify';
import type { EstProfileConfig } from './est-config.js';
import { EstError } from './est-error.js';
import type { SlidingWindowLimiter } from './est-limits.js';
import type { TrustBundle } from '../../config/trust-bundle-file.js';
import { ClientCertificateRefused, verifiedClientCertificate } from '../../http/client-certificate.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time: both sides are hashed to equal length first, so neither length nor content leaks. */
export function passwordMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function basicPassword(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * HTTP Basic with the profile's enrollment password (the user name is not checked). Wrong
 * passwords spend the caller's address budget; an address over budget is refused before the
 * comparison.
 */
export function checkBasicAuth(
  request: FastifyRequest,
  profile: EstProfileConfig,
  failures: SlidingWindowLimiter,
): void {
  const realm = { 'www-authenticate': `Basic realm="certctl EST${profile.pathId ? ` ${profile.pathId}` : ''}"` };
  const key = `${profile.pathId}|${request.ip}`;
  if (!failures.allows(key))
    throw new EstError(429, 'too many failed authentication attempts from this address; try again later', {
      'retry-after': '3600',
    });
  const password = basicPassword(request);
  if (password === undefined)
    throw new EstError(401, 'this EST profile requires HTTP Basic authentication with its enrollment password', realm);
  if (!passwordMatches(password, profile.enrollmentPassword ?? '')) {
    failures.record(key);
    throw new EstError(401, 'wrong enrollment password', realm);
  }
}

/** The EST profile's view of the connection's client certificate: a refused one is a 403. */
export async function verifiedEstClientCertificate(
  request: FastifyRequest,
  bundle: TrustBundle,
): Promise<ParsedCertificate | undefined> {
  try {
    return await verifiedClientCertificate(request, bundle);
  } catch (error) {
    if (error instanceof ClientCertificateRefused) throw new EstError(403, error.message);
    throw error;
  }
}

/** RFC 9266 tls-exporter channel binding of this connection (TLS 1.3 only). */
export function tlsExporterBinding(request: FastifyRequest): Buffer | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.exportKeyingMaterial !== 'function' || socket.getProtocol?.() !== 'TLSv1.3') return undefined;
  return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
}
