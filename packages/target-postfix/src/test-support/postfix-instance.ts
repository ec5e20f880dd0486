import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from '@certctl/connector-testkit';
import { run, startDaemon, uidOf } from './mail-fixtures.js';
import { waitForPort } from './wait-for-port.js';

export interface PostfixInstance {
  port: number;
  configDir: string;
  validateCommand: string;
  reloadCommand: string;
  /** Adds a line `postfix check` rejects to main.cf; `repairConfig` takes it out again. */
  breakConfig(): void;
  repairConfig(): void;
  stop(): Promise<void>;
}

// Every service master needs for smtpd with STARTTLS; chroot off so the instance needs no /var/spool copy.
const MASTER_CF = `
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
 * A private Postfix (Debian's package) under `root`: its own config_directory, queue and data
 * directories, smtpd with STARTTLS on a random 127.0.0.1 port, logging to a file. Started and
 * stopped with `postfix -c <dir>`, which only touches this instance's master.
 */
export async function startPostfix(root: string, tls: { certPath: string; keyPath: string }): Promise<PostfixInstance> {
  const configDir = join(root, 'postfix');
  const queue = join(root, 'queue');
  const data = join(root, 'data');
  for (const dir of [configDir, queue, data]) mkdirSync(dir, { recursive: true });
  run('chown', [String(uidOf('postfix')), data]);
  const port = await freeLoopbackPort();
  const mainCf = [
    'compatibility_level = 3.6',
    `queue_directory = ${queue}`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = mail.example.test',
    'mydestination =',
    `maillog_file_prefixes = ${root}`,
    `maillog_file = ${join(root, 'maillog')}`,
    `smtpd_tls_cert_file = ${tls.certPath}`,
    `smtpd_tls_key_file = ${tls.keyPath}`,
    'smtpd_tls_security_level = may',
    '',
  ].join('\n');
  writeFileSync(join(configDir, 'main.cf'), mainCf);
  writeFileSync(join(configDir, 'master.cf'), `127.0.0.1:${port} inet n - n - - smtpd\n${MASTER_CF}`);
  run('postfix', ['-c', configDir, 'check']);
  startDaemon('postfix', ['-c', configDir, 'start']);
  try {
    await waitForPort(port);
  } catch (error) {
    const log = existsSync(join(root, 'maillog')) ? readFileSync(join(root, 'maillog'), 'utf8') : '(no log)';
    throw new Error(`postfix did not start: ${(error as Error).message}\n${log}`);
  }
  const mainCfPath = join(configDir, 'main.cf');
  return {
    port,
    configDir,
    validateCommand: `postfix -c ${configDir} check`,
    reloadCommand: `postfix -c ${configDir} reload`,
    breakConfig: () => writeFileSync(mainCfPath, `${mainCf}this line has no equals sign\n`),
    repairConfig: () => writeFileSync(mainCfPath, mainCf),
    async stop() {
      try {
        run('postfix', ['-c', configDir, 'stop']);
      } catch {
        // Already stopped.
      }
    },
  };
}
