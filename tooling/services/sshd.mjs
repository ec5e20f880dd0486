// A real OpenSSH server (Debian's openssh-server) for tests of agentless targets. Each call starts a
// private sshd on a random loopback port with a throwaway ed25519 host key and a throwaway user
// (created here, deleted by stop()), whose home is a fresh directory under the system temp dir.
//   const sshd = await startSshd();
//   sshd.port, sshd.user, sshd.clientKeyPath, sshd.password, sshd.hostKeyFingerprint, sshd.knownHostsPath
//   await sshd.stop();
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, commandExists, serviceDir, startDetached, stopByPid, waitForPort } from './lib.mjs';
import { freePort } from './pebble.mjs';

const SSHD = '/usr/sbin/sshd';

function ensureSshdInstalled() {
  if (!commandExists(SSHD) || !commandExists('ssh-keygen') || !commandExists('ssh-agent')) {
    aptInstall(['openssh-server', 'openssh-client'], { because: 'SSH target tests' });
  }
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** useradd/userdel take a lock on /etc/passwd; parallel test files can collide on it, so retry briefly. */
async function withPasswdLock(run) {
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (error) {
      const text = `${error.stderr ?? ''}${error.message}`;
      if (attempt >= 50 || !/lock|try again/i.test(text)) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function keygen(path, comment) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'pipe' });
}

function fingerprintOf(publicKeyPath) {
  // "256 SHA256:abc... comment (ED25519)"
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath], { encoding: 'utf8' }).split(' ')[1];
}

/**
 * Starts sshd as root (it must be, to log a different user in) on 127.0.0.1:<random port>, allowing
 * only its throwaway user, by key (clientKeyPath) or password, with SFTP via internal-sftp.
 */
export async function startSshd() {
  if (!isRoot())
    throw new Error('startSshd needs root (sshd must switch to the throwaway test user); run as root or in CI');
  ensureSshdInstalled();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const id = randomBytes(4).toString('hex');
  const user = `certctl-ssh-${id}`;
  const dir = serviceDir(`sshd-${id}`);
  const home = mkdtempSync(join(tmpdir(), `certctl-sshd-${id}-`));
  const password = randomBytes(12).toString('base64url');

  await withPasswdLock(() =>
    execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/sh', '--user-group', user], {
      stdio: 'pipe',
    }),
  );
  await withPasswdLock(() =>
    execFileSync('chpasswd', { input: `${user}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  chownSync(home, uid, gid);
  chmodSync(home, 0o755);

  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'client_ed25519');
  keygen(hostKeyPath, `certctl test host ${id}`);
  keygen(clientKeyPath, `certctl test client ${id}`);
  const hostKeyFingerprint = fingerprintOf(`${hostKeyPath}.pub`);
  const authorizedKeysPath = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeysPath, readFileSync(`${clientKeyPath}.pub`));

  const port = await freePort();
  const [keyType, keyBase64] = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/);
  const knownHostsLine = `[127.0.0.1]:${port} ${keyType} ${keyBase64}`;
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `${knownHostsLine}\n`);

  const configPath = join(dir, 'sshd_config');
  writeFileSync(
    configPath,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, 'sshd-own.pid')}`,
      'UsePAM no',
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      `AuthorizedKeysFile ${authorizedKeysPath}`,
      `AllowUsers ${user}`,
      'PermitRootLogin no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  execFileSync(SSHD, ['-t', '-f', configPath], { stdio: 'pipe' });
  startDetached('sshd', SSHD, ['-D', '-e', '-f', configPath], { dir });
  await waitForPort(port, { what: 'sshd' });

  const agents = [];
  return {
    host: '127.0.0.1',
    port,
    user,
    uid,
    gid,
    password,
    home,
    clientKeyPath,
    clientKeyPem: readFileSync(clientKeyPath, 'utf8'),
    hostKeyFingerprint,
    knownHostsPath,
    knownHostsLine,
    /** A known_hosts file that lists another key for this host (to prove a changed key is refused). */
    writeWrongKnownHosts(path) {
      const other = join(dir, `other_host_key_${randomBytes(3).toString('hex')}`);
      keygen(other, 'not the host key');
      const [type, base64] = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/);
      writeFileSync(path, `[127.0.0.1]:${port} ${type} ${base64}\n`);
      return fingerprintOf(`${other}.pub`);
    },
    /** Runs a command as the test user (through a local shell, for setup only). */
    asUser(args) {
      return execFileSync(args[0], args.slice(1), { uid, gid, cwd: home, encoding: 'utf8', stdio: 'pipe' });
    },
    /** Starts an ssh-agent holding the client key; resolves to its socket path. */
    async startAgent() {
      const name = `ssh-agent-${agents.length}`;
      const socket = join(dir, `${name}.sock`);
      rmSync(socket, { force: true });
      startDetached(name, 'ssh-agent', ['-D', '-a', socket], { dir });
      agents.push(name);
      for (let i = 0; i < 100; i++) {
        try {
          execFileSync('ssh-add', [clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
          return socket;
        } catch (error) {
          if (i === 99) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      return socket;
    },
    log() {
      return readFileSync(join(dir, 'sshd.log'), 'utf8');
    },
    async stop() {
      for (const name of agents) await stopByPid(dir, name);
      await stopByPid(dir, 'sshd');
      // A session child of sshd may still be closing: userdel refuses while the user has processes.
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await withPasswdLock(() => execFileSync('userdel', [user], { stdio: 'pipe' }));
          break;
        } catch (error) {
          if (!/currently used/i.test(`${error.stderr ?? ''}`)) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
