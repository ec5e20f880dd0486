import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair, signCertificate, toKeyObject } from '@certctl/pki';
import { call } from '../../../testing/api-fixtures.js';
import type { DialectContext } from '../../../testing/each-dialect.js';
import { createTestCa } from '../../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

export const run = promisify(execFile);
export const CHALLENGE = 'correct horse battery staple';
export const ISSUER_ID = 'iss-scep-test';

export interface ScepFixture {
  server: TestServer;
  ca: ReturnType<typeof createTestCa>;
  caPem: string;
  raCertPem: string;
  raKeyPem: string;
  dir: string;
  /** `http://127.0.0.1:<pki port>/scep` */
  url: string;
  stop(): Promise<void>;
}

/** Writes a file readable by its owner only, as the RA files must be. */
export function writePrivate(path: string, text: string, mode = 0o600): string {
  writeFileSync(path, text, { mode });
  return path;
}

/** An RSA RA certificate issued by the test CA (keyEncipherment + digitalSignature), its key in PKCS#8 PEM. */
export async function makeRa(ca: ReturnType<typeof createTestCa>) {
  const { certificate, keys } = await ca.authority();
  const raKeys = await generateKeyPair({ algorithm: 'rsa-2048' });
  const ra = await signCertificate({
    subject: { CN: 'certctl SCEP RA', O: 'certctl tests' },
    publicKey: raKeys.publicKey,
    issuer: { certificate: certificate.pem, privateKey: keys.privateKey },
    keyUsage: ['digitalSignature', 'keyEncipherment'],
  });
  const keyPem = toKeyObject(raKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem: ra.pem, keyPem, caPem: certificate.pem };
}

/** A listening server with SCEP on `/scep` (static challenge) and `/scep/<extra profiles>`, backed by the test CA. */
export async function startScepServer(
  database: DialectContext,
  env: Record<string, string> = {},
  setup?: (dir: string) => Record<string, string>,
): Promise<ScepFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-scep-'));
  // RSA: micromdm's scepclient encrypts its request to every certificate GetCACert returns.
  const ca = createTestCa({ keyAlgorithm: 'rsa-2048' });
  const ra = await makeRa(ca);
  const certPath = writePrivate(join(dir, 'ra.crt'), ra.certPem);
  const keyPath = writePrivate(join(dir, 'ra.key'), ra.keyPem);
  const server = await startTestServer({
    database,
    connectors: [ca.manifest],
    listen: true,
    env: {
      CERTCTL_SERVER_HOST: '127.0.0.1',
      CERTCTL_SCEP_ENABLED: 'true',
      CERTCTL_SCEP_ISSUER_ID: ISSUER_ID,
      CERTCTL_SCEP_CHALLENGE_PASSWORD: CHALLENGE,
      CERTCTL_SCEP_RA_CERT_PATH: certPath,
      CERTCTL_SCEP_RA_KEY_PATH: keyPath,
      ...env,
      ...setup?.(dir),
    },
  });
  const issuer = await call(server.api, 'POST', '/api/v1/issuers', {
    id: ISSUER_ID,
    name: `scep-test-${Date.now()}`,
    type: 'test-ca',
    config: { label: 'scep' },
  });
  if (issuer.status !== 201) throw new Error(`issuer fixture failed: ${issuer.status} ${issuer.body}`);
  return {
    server,
    ca,
    caPem: ra.caPem,
    raCertPem: ra.certPem,
    raKeyPem: ra.keyPem,
    dir,
    url: `${server.urls.pki}/scep`,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `openssl verify` of a certificate against the CA; resolves to openssl's output. */
export async function opensslVerify(caPath: string, certPath: string): Promise<string> {
  const { stdout } = await run('openssl', ['verify', '-CAfile', caPath, certPath]);
  return stdout.trim();
}

export const SCEPCLIENT = '/usr/bin/scepclient';

/**
 * Runs micromdm's scepclient in a directory of its own (it keeps csr.pem and its self-signed
 * certificate in the cwd) against `url` (default: the fixture's `/scep`).
 */
export function scepclient(fx: ScepFixture, name: string, args: string[], url = fx.url) {
  const cwd = mkdtempSync(join(fx.dir, `${name}-`));
  const key = join(cwd, `${name}.key`);
  const cert = join(cwd, `${name}.crt`);
  const done = run(SCEPCLIENT, ['-server-url', url, '-private-key', key, '-certificate', cert, ...args], {
    cwd,
    timeout: 30_000,
  }).then(
    () => ({ failed: false, out: '' }),
    (error: { stdout: string; stderr: string }) => ({ failed: true, out: `${error.stdout}${error.stderr}` }),
  );
  return { key, cert, done };
}

export const PKI = '/usr/bin/pki';

/** Runs strongSwan's `pki` in `cwd`; resolves to its standard output. */
export async function pki(args: string[], cwd: string): Promise<Buffer> {
  const { stdout } = await run(PKI, args, { cwd, timeout: 30_000, encoding: 'buffer', maxBuffer: 1 << 20 });
  return stdout as unknown as Buffer;
}

/** `pki --scep` arguments for a server and the RA/CA files `pki --scepca` fetched from it. */
export function pkiScepServerArgs(url: string, raFile: string, caFile: string): string[] {
  return ['--url', url, '--cacert-enc', raFile, '--cacert-sig', raFile, '--cacert', caFile, '--outform', 'pem'];
}

/** A client CA and a client certificate it signs, made by openssl in `dir` (`<name>-ca.pem`, `<name>.pem`, `<name>.key`). */
export function opensslClient(dir: string, name: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}-ca.key`,
    '-out',
    `${name}-ca.pem`,
    '-subj',
    `/CN=${name} client CA`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}-device`,
  );
  writeFileSync(
    join(dir, `${name}.ext`),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${name}-ca.pem`,
    '-CAkey',
    `${name}-ca.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}
