// Real TLS servers (nginx, HAProxy, Postfix with STARTTLS) on a chosen loopback address and port,
// serving a certificate the caller gives, for tests that probe what is served (network scans, health
// checks). Each instance lives in its own temp dir and is stopped by the PID it wrote.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandExists, startDetached, stopByPid, waitForPort } from './lib.mjs';

const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';
const POSTFIX = '/usr/sbin/postfix';

function requireExecutable(path, pkg) {
  if (!existsSync(path) && !commandExists(path)) {
    throw new Error(`${path} is missing: run "node tooling/services/ensure-test-services.mjs" (apt package ${pkg})`);
  }
}

function workspace(name, { certPem, keyPem }) {
  const dir = mkdtempSync(join(tmpdir(), `certctl-${name}-`));
  // The daemons' unprivileged users must traverse it.
  chmodSync(dir, 0o755);
  const certPath = join(dir, 'site.pem');
  const keyPath = join(dir, 'site.key');
  writeFileSync(certPath, certPem, { mode: 0o644 });
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  return { dir, certPath, keyPath };
}

async function started(name, dir, address, port, stop) {
  try {
    await waitForPort(port, { host: address, timeoutMs: 15_000, what: name });
  } catch (error) {
    const logs = ['nginx.log', 'haproxy.log', 'maillog', 'error.log']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    await stop().catch(() => undefined);
    throw new Error(`${error.message}; ${name} said: ${logs || '(nothing)'}`);
  }
}

/** Replaces the served certificate and makes the server load it. */
function replaceFiles(ws, { certPem, keyPem }) {
  writeFileSync(ws.certPath, certPem, { mode: 0o644 });
  writeFileSync(ws.keyPath, keyPem, { mode: 0o600 });
}

/**
 * nginx in the foreground (daemon off) on address:port serving `certPem` (leaf + chain) and `keyPem`.
 * `replace()` swaps the certificate and reloads (SIGHUP), resolving once new connections see it.
 */
export async function startNginxTls({ address, port, certPem, keyPem }) {
  requireExecutable(NGINX, 'nginx');
  const ws = workspace('nginx', { certPem, keyPem });
  const { dir } = ws;
  mkdirSync(join(dir, 'tmp'));
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`)
    .join('\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user nobody nogroup;\n' : ''}daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} notice;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
${temps}
  server {
    listen ${address}:${port} ssl;
    ssl_certificate ${ws.certPath};
    ssl_certificate_key ${ws.keyPath};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  startDetached('nginx-master', NGINX, ['-p', dir, '-c', conf], { dir });
  const stop = async () => {
    await stopByPid(dir, 'nginx-master');
    rmSync(dir, { recursive: true, force: true });
  };
  await started('nginx', dir, address, port, stop);
  return {
    kind: 'nginx',
    address,
    port,
    dir,
    // What a deploy target needs to manage this nginx: the files it serves and how to check and reload it.
    certPath: ws.certPath,
    keyPath: ws.keyPath,
    validateCommand: `${NGINX} -t -q -p ${dir} -c ${conf}`,
    reloadCommand: `${NGINX} -p ${dir} -c ${conf} -s reload`,
    async replace(material) {
      replaceFiles(ws, material);
      execFileSync(NGINX, ['-p', dir, '-c', conf, '-s', 'reload'], { stdio: 'pipe' });
    },
    stop,
  };
}

/** HAProxy in the foreground (-db) on address:port serving a combined PEM (leaf, chain, key). */
export async function startHaproxyTls({ address, port, certPem, keyPem }) {
  requireExecutable(HAPROXY, 'haproxy');
  const ws = workspace('haproxy', { certPem, keyPem });
  const { dir } = ws;
  const pem = join(dir, 'combined.pem');
  writeFileSync(pem, `${certPem.trim()}\n${keyPem.trim()}\n`, { mode: 0o600 });
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend tls
  bind ${address}:${port} ssl crt ${pem}
  http-request return status 200 content-type text/plain string ok
`,
  );
  startDetached('haproxy', HAPROXY, ['-db', '-f', cfg], { dir });
  const stop = async () => {
    await stopByPid(dir, 'haproxy');
    rmSync(dir, { recursive: true, force: true });
  };
  await started('haproxy', dir, address, port, stop);
  return { kind: 'haproxy', address, port, dir, stop };
}

// Every service master needs for smtpd with STARTTLS; chroot off so the instance needs no /var/spool copy.
const POSTFIX_MASTER_CF = `
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;

/**
 * A private Postfix with smtpd on address:port offering STARTTLS with `certPem`/`keyPem`. Needs root
 * (postfix drops to its own user) and the Debian package's `postfix` user.
 */
export async function startPostfixTls({ address, port, certPem, keyPem }) {
  requireExecutable(POSTFIX, 'postfix');
  const ws = workspace('postfix', { certPem, keyPem });
  const { dir } = ws;
  const configDir = join(dir, 'postfix');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  for (const sub of [configDir, queue, data]) mkdirSync(sub, { recursive: true });
  execFileSync('chown', ['postfix', data]);
  writeFileSync(
    join(configDir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      // postfix only accepts addresses assigned to an interface here; master.cf binds the exact address.
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'myhostname = mail.example.test',
      'mydestination =',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${join(dir, 'maillog')}`,
      `smtpd_tls_cert_file = ${ws.certPath}`,
      `smtpd_tls_key_file = ${ws.keyPath}`,
      'smtpd_tls_security_level = may',
      '',
    ].join('\n'),
  );
  writeFileSync(join(configDir, 'master.cf'), `${address}:${port} inet n - n - - smtpd\n${POSTFIX_MASTER_CF}`);
  const postfix = (...args) =>
    execFileSync(POSTFIX, ['-c', configDir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  postfix('check');
  postfix('start');
  const stop = async () => {
    try {
      postfix('stop');
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  await started('postfix', dir, address, port, stop);
  return { kind: 'postfix', address, port, dir, stop };
}
