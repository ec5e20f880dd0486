import { createHash, timingSafeEqual } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createSsrfPolicy, type SsrfPolicy } from '@certctl/connector-utils';
import { parseCertificate } from '@certctl/pki';
import type { AcmeServerConfig } from './acme-server-config.js';
import { AcmeProblem } from './problems.js';

/** id-pe-acmeIdentifier (RFC 8737 3). */
const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
const MAX_BODY = 4096;

export interface ValidationTarget {
  type: 'dns' | 'ip';
  value: string;
  token: string;
  keyAuthorization: string;
}

export interface Validators {
  'http-01'(target: ValidationTarget): Promise<void>;
  'dns-01'(target: ValidationTarget): Promise<void>;
  'tls-alpn-01'(target: ValidationTarget): Promise<void>;
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * RFC 8555 8.3/8.4 and RFC 8737 validators. Where a client tells us to connect is checked by the
 * SSRF policy (public addresses only unless the operator allows more), on the address we actually
 * dial; ports and the resolver come from the configuration so tests can run on loopback.
 */
export function createValidators(config: AcmeServerConfig): Validators {
  const policy: SsrfPolicy = createSsrfPolicy({ allow: config.validationAllow, connector: 'acme-server' });
  const resolver = new dns.Resolver({ timeout: Math.min(config.validationTimeoutMs, 5000), tries: 2 });
  if (config.dnsResolver) resolver.setServers([config.dnsResolver]);

  async function addressOf(target: ValidationTarget): Promise<string> {
    if (target.type === 'ip') {
      policy.assertAddress(target.value);
      return target.value;
    }
    const pinned = config.validationHosts[target.value.toLowerCase()];
    let addresses: string[];
    if (pinned) addresses = [pinned];
    else {
      const [v4, v6] = await Promise.all([
        resolver.resolve4(target.value).catch(() => [] as string[]),
        resolver.resolve6(target.value).catch(() => [] as string[]),
      ]);
      addresses = [...v4, ...v6];
    }
    if (addresses.length === 0) throw new AcmeProblem('dns', `no A/AAAA record for ${target.value}`);
    const address = addresses[0]!;
    try {
      policy.assertAddress(address);
    } catch (error) {
      throw new AcmeProblem(
        'connection',
        `refusing to connect to ${address} for ${target.value}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return address;
  }

  return {
    async 'http-01'(target) {
      const address = await addressOf(target);
      const hostHeader = `${isIP(target.value) === 6 ? `[${target.value}]` : target.value}${config.http01Port === 80 ? '' : `:${config.http01Port}`}`;
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          {
            host: address,
            port: config.http01Port,
            path: `/.well-known/acme-challenge/${target.token}`,
            method: 'GET',
            headers: { host: hostHeader, 'user-agent': 'certctl-acme-validator' },
            timeout: config.validationTimeoutMs,
          },
          (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              reject(
                new AcmeProblem(
                  'incorrectResponse',
                  `http://${hostHeader}/.well-known/acme-challenge/${target.token} answered ${res.statusCode}`,
                ),
              );
              return;
            }
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > MAX_BODY) {
                req.destroy();
                reject(new AcmeProblem('incorrectResponse', 'the challenge response is too large'));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
            res.on('error', reject);
          },
        );
        req.on('timeout', () =>
          req.destroy(new AcmeProblem('connection', `timed out fetching the challenge from ${target.value}`)),
        );
        req.on('error', (error) =>
          reject(
            error instanceof AcmeProblem
              ? error
              : new AcmeProblem('connection', `cannot fetch the challenge from ${target.value}: ${error.message}`),
          ),
        );
        req.end();
      });
      if (!safeEqual(body.trim(), target.keyAuthorization))
        throw new AcmeProblem('incorrectResponse', 'the key authorization served does not match');
    },

    async 'dns-01'(target) {
      const expected = createHash('sha256').update(target.keyAuthorization).digest('base64url');
      let records: string[][];
      try {
        records = await resolver.resolveTxt(`_acme-challenge.${target.value}`);
      } catch (error) {
        throw new AcmeProblem(
          'dns',
          `no TXT record at _acme-challenge.${target.value}: ${(error as { code?: string }).code ?? String(error)}`,
        );
      }
      if (!records.some((parts) => safeEqual(parts.join(''), expected)))
        throw new AcmeProblem(
          'incorrectResponse',
          `no TXT record at _acme-challenge.${target.value} matches the key authorization digest`,
        );
    },

    async 'tls-alpn-01'(target) {
      const address = await addressOf(target);
      const der = await new Promise<Uint8Array>((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: address,
            port: config.tlsAlpn01Port,
            servername: isIP(target.value) ? undefined : target.value,
            ALPNProtocols: ['acme-tls/1'],
            rejectUnauthorized: false,
            timeout: config.validationTimeoutMs,
          },
          () => {
            if (socket.alpnProtocol !== 'acme-tls/1') {
              socket.destroy();
              reject(new AcmeProblem('tls', 'the server did not negotiate the acme-tls/1 protocol'));
              return;
            }
            const peer = socket.getPeerX509Certificate();
            socket.end();
            if (!peer) reject(new AcmeProblem('tls', 'no certificate presented'));
            else resolve(new Uint8Array(peer.raw));
          },
        );
        socket.on('timeout', () => socket.destroy(new AcmeProblem('connection', 'TLS-ALPN-01 connection timed out')));
        socket.on('error', (error) =>
          reject(
            error instanceof AcmeProblem
              ? error
              : new AcmeProblem('tls', `TLS-ALPN-01 handshake failed: ${error.message}`),
          ),
        );
      });
      // The self-signed validation certificate is not chain-validated (RFC 8737 3): only its contents count.
      const cert = parseCertificate(der);
      const names = cert.sans
        .filter((s) => s.type === 'dns' || s.type === 'ip')
        .map((s) => ('value' in s ? String(s.value).toLowerCase() : ''));
      if (names.length !== 1 || names[0] !== target.value.toLowerCase())
        throw new AcmeProblem('incorrectResponse', `the TLS-ALPN-01 certificate must name exactly ${target.value}`);
      const extension = cert.extensions.find((e) => e.oid === ACME_IDENTIFIER_OID);
      if (!extension?.critical)
        throw new AcmeProblem(
          'incorrectResponse',
          'the TLS-ALPN-01 certificate lacks a critical acmeIdentifier extension',
        );
      const digest = createHash('sha256').update(target.keyAuthorization).digest();
      const expected = Buffer.concat([Buffer.from([0x04, 0x20]), digest]);
      if (!Buffer.from(extension.value).equals(expected))
        throw new AcmeProblem('incorrectResponse', 'the acmeIdentifier extension does not match the key authorization');
    },
  };
}
