import type { TLSSocket } from 'node:tls';
import { type ParsedCertificate, validatePath } from '@certctl/pki';
import type { FastifyRequest } from 'fastify';
import type { TrustBundle } from '../config/trust-bundle-file.js';

/** A client certificate was sent but does not chain to the trust bundle (the message says why). */
export class ClientCertificateRefused extends Error {}

/**
 * The client certificate of this TLS connection, verified against `bundle` on every request (so a
 * rotated bundle applies at once, and a certificate that expired since the handshake is refused);
 * undefined when none was sent. The listener asks for certificates without verifying them.
 */
export async function verifiedClientCertificate(
  request: FastifyRequest,
  bundle: TrustBundle,
): Promise<ParsedCertificate | undefined> {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const intermediates: Uint8Array[] = [];
  let link = peer.issuerCertificate;
  while (link?.raw && link !== link.issuerCertificate && intermediates.length < 8) {
    intermediates.push(link.raw);
    link = link.issuerCertificate;
  }
  if (link?.raw && intermediates.length < 8 && !intermediates.some((d) => Buffer.compare(d, link!.raw) === 0))
    intermediates.push(link.raw);
  const result = await validatePath({
    leaf: peer.raw,
    intermediates,
    trustAnchors: bundle.current().map((c) => c.der),
  });
  if (!result.valid) throw new ClientCertificateRefused(`client certificate rejected: ${result.message}`);
  return result.chain[0];
}
