import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSecureContext, createServer, type Server } from 'node:tls';

/** A self-signed P-256 certificate and its key from openssl, in one PEM file; returns its path. */
export function selfSignedPem(dir: string, cn: string): string {
  const out = join(dir, `${cn}.pem`);
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    `${out}.key`,
    '-out',
    `${out}.crt`,
    '-days',
    '1',
  ]);
  writeFileSync(out, readFileSync(`${out}.crt`, 'utf8') + readFileSync(`${out}.key`, 'utf8'));
  return out;
}

/**
 * A TLS endpoint on loopback that serves whatever certificate and key files are on disk at each
 * handshake (SNI required), as a web server reloaded by a deploy would.
 */
export async function fileBackedTlsServer(
  scratchDir: string,
  certPath: string,
  keyPath: string,
): Promise<{ server: Server; port: number }> {
  const placeholder = readFileSync(selfSignedPem(mkdtempSync(join(scratchDir, 'tls-')), 'placeholder'), 'utf8');
  const server = createServer({
    cert: placeholder,
    key: placeholder,
    SNICallback: (_name, cb) =>
      cb(null, createSecureContext({ cert: readFileSync(certPath), key: readFileSync(keyPath) })),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}
