import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  parseCertificate,
  type SubjectAltName,
  signCertificate,
} from '@certctl/pki';
import type { IssuerRuntime } from './issuer-runtimes.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA that signed a bootstrap certificate, for clients to trust (absent for operator-provided certificates). */
  caPem?: string;
  source: 'files' | 'bootstrap-reused' | 'local-ca' | 'bootstrap-ca';
}

const RENEW_BEFORE_MS = 30 * 86_400_000;

function names(host: string): SubjectAltName[] {
  const all = new Set(['localhost', '127.0.0.1', '::1', host]);
  all.delete('0.0.0.0');
  all.delete('::');
  return [...all].map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
}

/**
 * The HTTPS certificate: the operator's files when CERTCTL_SERVER_TLS_CERT_PATH/_KEY_PATH are set;
 * otherwise a bootstrap certificate kept in `<dataDir>/tls`, issued by the local CA when it is
 * installed (so clients trust one root), else by a bootstrap CA of its own. Renewed at start when
 * it expires within 30 days.
 */
export async function loadTlsMaterial(options: {
  certPath?: string;
  keyPath?: string;
  dataDir: string;
  host: string;
  localCa?: IssuerRuntime;
}): Promise<TlsMaterial> {
  if (options.certPath && options.keyPath) {
    return {
      cert: readFileSync(options.certPath, 'utf8'),
      key: readFileSync(options.keyPath, 'utf8'),
      source: 'files',
    };
  }
  const dir = join(options.dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  const caFile = join(dir, 'ca.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    if (parseCertificate(cert).notAfter.getTime() - Date.now() > RENEW_BEFORE_MS) {
      return {
        cert,
        key: readFileSync(keyFile, 'utf8'),
        caPem: existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined,
        source: 'bootstrap-reused',
      };
    }
  }
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const sans = names(options.host);
  let cert: string;
  let caPem: string;
  let source: TlsMaterial['source'];
  if (options.localCa) {
    const csr = await createCsr({ keys, subject: { CN: 'certctl-server' }, sans });
    const issued = await options.localCa.issue({
      csrPem: csr.pem,
      commonName: 'certctl-server',
      sans: {
        dns: sans.filter((s) => s.type === 'dns').map((s) => s.value),
        ip: sans.filter((s) => s.type === 'ip').map((s) => s.value),
        email: [],
        uri: [],
      },
      extKeyUsages: ['serverAuth'],
      mustStaple: false,
      requestId: `bootstrap-tls-${Date.now()}`,
      metadata: { purpose: 'server-tls' },
    });
    if (issued.status !== 'issued') throw new Error('the local CA did not issue the bootstrap TLS certificate');
    cert = issued.certificatePem + issued.chainPem.join('');
    caPem = (await options.localCa.caChain()).join('');
    source = 'local-ca';
  } else {
    const caKeyFile = join(dir, 'bootstrap-ca.key');
    const caCertFile = join(dir, 'bootstrap-ca.pem');
    let ca: { certificate: string; privateKey: CryptoKey };
    if (existsSync(caKeyFile) && existsSync(caCertFile)) {
      ca = {
        certificate: readFileSync(caCertFile, 'utf8'),
        privateKey: await importPrivateKey(readFileSync(caKeyFile, 'utf8')),
      };
    } else {
      const created = await createCertificateAuthority({
        subject: { CN: 'certctl bootstrap CA', O: 'certctl' },
        validitySeconds: 10 * 365 * 86_400,
      });
      writeFileSync(caKeyFile, exportPrivateKeyPem(created.keys.privateKey), { mode: 0o600 });
      writeFileSync(caCertFile, created.certificate.pem);
      ca = { certificate: created.certificate.pem, privateKey: created.keys.privateKey };
    }
    const leaf = await signCertificate({
      subject: { CN: 'certctl-server' },
      publicKey: keys.publicKey,
      issuer: ca,
      sans,
      extKeyUsage: ['serverAuth'],
      validitySeconds: 397 * 86_400,
    });
    cert = leaf.pem;
    caPem = ca.certificate;
    source = 'bootstrap-ca';
  }
  const key = exportPrivateKeyPem(keys.privateKey);
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  writeFileSync(caFile, caPem);
  return { cert, key, caPem, source };
}
