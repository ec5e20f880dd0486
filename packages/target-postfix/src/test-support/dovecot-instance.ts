import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from '@certctl/connector-testkit';
import { startDaemon } from './mail-fixtures.js';
import { waitForPort } from './wait-for-port.js';

export interface DovecotInstance {
  port: number;
  configPath: string;
  validateCommand: string;
  reloadCommand: string;
  /** Adds a setting `doveconf -n` rejects; `repairConfig` takes it out again. */
  breakConfig(): void;
  repairConfig(): void;
  stop(): Promise<void>;
}

/**
 * A private Dovecot (Debian's dovecot-imapd) under `root`: its own base_dir, state and log, IMAP with
 * ssl=required (STARTTLS) on a random 127.0.0.1 port. Stopped by the PID in its own master.pid.
 */
export async function startDovecot(root: string, tls: { certPath: string; keyPath: string }): Promise<DovecotInstance> {
  const baseDir = join(root, 'run');
  mkdirSync(baseDir, { recursive: true });
  const port = await freeLoopbackPort();
  const configPath = join(root, 'dovecot.conf');
  const conf = `base_dir = ${baseDir}
state_dir = ${join(root, 'state')}
log_path = ${join(root, 'dovecot.log')}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <${tls.certPath}
ssl_key = <${tls.keyPath}
disable_plaintext_auth = yes
passdb {
  driver = static
  args = password=unused-in-tests
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${join(root, 'home')}
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`;
  writeFileSync(configPath, conf);
  startDaemon('dovecot', ['-c', configPath]);
  try {
    await waitForPort(port);
  } catch (error) {
    const log = existsSync(join(root, 'dovecot.log')) ? readFileSync(join(root, 'dovecot.log'), 'utf8') : '(no log)';
    throw new Error(`dovecot did not start: ${(error as Error).message}\n${log}`);
  }
  const pidFile = join(baseDir, 'master.pid');
  return {
    port,
    configPath,
    validateCommand: `doveconf -n -c ${configPath}`,
    reloadCommand: `doveadm -c ${configPath} reload`,
    breakConfig: () => writeFileSync(configPath, `${conf}this_setting_does_not_exist = 1\n`),
    repairConfig: () => writeFileSync(configPath, conf),
    async stop() {
      if (!existsSync(pidFile)) return;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(pid, 'SIGKILL');
    },
  };
}
