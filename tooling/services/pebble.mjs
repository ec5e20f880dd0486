// pebble (Let's Encrypt's test ACME CA) and pebble-challtestsrv (its mock DNS server) for tests, from
// Debian's `pebble` package. Each call starts a private pair on random loopback ports with a
// throwaway TLS CA (Debian ships no certificates), and stop() kills exactly those two processes.
//   const pebble = await startPebble({ httpPort: responderPort });
//   pebble.directoryUrl, pebble.tlsCaPem (trust this for pebble's HTTPS), await pebble.issuingChainPem()
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, commandExists, waitForPort } from './lib.mjs';

/** A free TCP port on 127.0.0.1 (bound then released; the caller binds it next). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ensurePebbleInstalled() {
  if (!commandExists('pebble') || !commandExists('pebble-challtestsrv'))
    aptInstall(['pebble'], { because: 'ACME tests' });
}

/** A throwaway CA and a cert for localhost/127.0.0.1 signed by it: pebble's own HTTPS identity. */
function writeTlsIdentity(dir) {
  const openssl = (args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = { key: join(dir, 'tls-ca.key'), cert: join(dir, 'tls-ca.pem') };
  const leaf = {
    key: join(dir, 'tls.key'),
    csr: join(dir, 'tls.csr'),
    cert: join(dir, 'tls.pem'),
    ext: join(dir, 'tls.ext'),
  };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key]);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    ca.key,
    '-subj',
    '/CN=pebble test TLS CA',
    '-days',
    '2',
    '-out',
    ca.cert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', leaf.key]);
  openssl(['req', '-new', '-key', leaf.key, '-subj', '/CN=localhost', '-out', leaf.csr]);
  writeFileSync(
    leaf.ext,
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    leaf.csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    leaf.ext,
    '-out',
    leaf.cert,
  ]);
  return { caPath: ca.cert, certPath: leaf.cert, keyPath: leaf.key };
}

function spawnLogged(command, args, { env, logPath }) {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks = [];
  const keep = (data) => {
    chunks.push(data);
    writeFileSync(logPath, Buffer.concat(chunks));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, log: () => Buffer.concat(chunks).toString('utf8') };
}

async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts pebble-challtestsrv (DNS on a random port answering `defaultIPv4` for every A query) and
 * pebble using it as its resolver.
 * Options:
 *  - httpPort: where pebble's VA connects for HTTP-01 (point it at your responder); default a free port.
 *  - nonceRejectPercent: PEBBLE_WFE_NONCEREJECT (default 0; pebble's own default is 5).
 *  - authzReusePercent: PEBBLE_AUTHZREUSE (default 0).
 *  - alwaysValid: PEBBLE_VA_ALWAYS_VALID=1, every challenge passes without a check.
 *  - eabKeys: { kid: hmacKeyBase64url } makes pebble require External Account Binding.
 *  - env: extra environment for pebble.
 */
export async function startPebble(options = {}) {
  ensurePebbleInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'certctl-pebble-'));
  const tls = writeTlsIdentity(dir);
  const [acmePort, managementPort, dnsPort, challManagementPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const httpPort = options.httpPort ?? (await freePort());

  const chall = spawnLogged(
    'pebble-challtestsrv',
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challManagementPort}`,
    ],
    { env: {}, logPath: join(dir, 'challtestsrv.log') },
  );

  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: tls.certPath,
      privateKey: tls.keyPath,
      httpPort,
      tlsPort: await freePort(),
      ocspResponderURL: '',
      externalAccountBindingRequired: Boolean(options.eabKeys),
      ...(options.eabKeys ? { externalAccountMACKeys: options.eabKeys } : {}),
    },
  };
  const configPath = join(dir, 'pebble-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const pebble = spawnLogged('pebble', ['-config', configPath, '-dnsserver', `127.0.0.1:${dnsPort}`], {
    env: {
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
      PEBBLE_AUTHZREUSE: String(options.authzReusePercent ?? 0),
      ...(options.alwaysValid ? { PEBBLE_VA_ALWAYS_VALID: '1' } : {}),
      ...options.env,
    },
    logPath: join(dir, 'pebble.log'),
  });

  const stop = async () => {
    await Promise.all([stopChild(pebble.child), stopChild(chall.child)]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([
      waitForPort(acmePort, { what: 'pebble ACME', timeoutMs: 20_000 }),
      waitForPort(managementPort, { what: 'pebble management', timeoutMs: 20_000 }),
      waitForPort(challManagementPort, { what: 'pebble-challtestsrv management', timeoutMs: 20_000 }),
    ]);
  } catch (error) {
    const logs = `pebble:\n${pebble.log()}\nchalltestsrv:\n${chall.log()}`;
    await stop();
    throw new Error(`${error.message}\n${logs}`);
  }

  const tlsCaPem = readFileSync(tls.caPath, 'utf8');
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  const getManagement = (path) => httpsGet(`${managementUrl}${path}`, tlsCaPem);
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    managementUrl,
    /** pebble-challtestsrv's management API (`/set-txt`, `/clear-txt`, `/add-a` ...), plain HTTP. */
    challtestsrvUrl: `http://127.0.0.1:${challManagementPort}`,
    dnsPort,
    httpPort,
    /** The CA of pebble's own HTTPS certificate; trust it explicitly. */
    tlsCaPem,
    tlsCaPath: tls.caPath,
    /** pebble's issuing root (it changes on every start). */
    rootPem: () => getManagement('/roots/0'),
    /** pebble's issuing intermediate. */
    intermediatePem: () => getManagement('/intermediates/0'),
    /** Intermediate then root: what `openssl verify` needs to check a certificate pebble issued. */
    issuingChainPem: async () => `${await getManagement('/intermediates/0')}${await getManagement('/roots/0')}`,
    /** Revocation status pebble reports for a certificate serial (hex): `{ Status, Reason, ... }`. */
    certStatus: async (serialHex) => JSON.parse(await getManagement(`/cert-status-by-serial/${serialHex}`)),
    logs: () => ({ pebble: pebble.log(), challtestsrv: chall.log() }),
    stop,
  };
}

function httpsGet(url, ca) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET', timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
