import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSshd, startSshd } from '@certctl/tooling/services';

/** A real sshd with a deploy directory and reload/validate scripts owned by its throwaway user. */
export interface SshHost {
  sshd: RunningSshd;
  /** Where the tests deploy (the user's home/certs). */
  certDir: string;
  paths: { cert: string; chain: string; key: string };
  /** Appends a line to reloads.log; exits 1 (once) while fail-reload exists, sleeps while slow-reload exists. */
  reloadCommand: string;
  /** Exits 1 while fail-validate exists. */
  validateCommand: string;
  reloads(): number;
  failNextReload(): void;
  failValidate(on: boolean): void;
  /** What a file looks like over SFTP, read with OpenSSH's own sftp client (bytes and mode). */
  sftpGet(path: string): { bytes: Buffer; mode: number; uid: number; gid: number } | undefined;
  stop(): Promise<void>;
}

/** sftp's ls prints names even with -n when the server sends them (users-groups-by-id@openssh.com). */
function numericId(database: 'passwd' | 'group', name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  return Number(execFileSync('getent', [database, name], { encoding: 'utf8' }).split(':')[2]);
}

export async function startSshHost(): Promise<SshHost> {
  const sshd = await startSshd();
  const { home, uid, gid } = sshd;
  const certDir = join(home, 'certs');
  mkdirSync(certDir);
  chownSync(certDir, uid, gid);
  const script = (name: string, body: string) => {
    const path = join(home, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    chownSync(path, uid, gid);
    return path;
  };
  const reload = script(
    'reload.sh',
    `echo reload >> "${home}/reloads.log"
if [ -e "${home}/slow-reload" ]; then sleep 30; fi
if [ -e "${home}/fail-reload" ]; then rm -f "${home}/fail-reload"; echo "reload refused: bad certificate" >&2; exit 1; fi`,
  );
  const validate = script(
    'validate.sh',
    `if [ -e "${home}/fail-validate" ]; then echo "config test failed" >&2; exit 1; fi`,
  );
  const local = mkdtempSync(join(tmpdir(), 'certctl-sftp-get-'));
  const flag = (name: string, on: boolean) => {
    const path = join(home, name);
    if (on) writeFileSync(path, '');
    else rmSync(path, { force: true });
  };

  return {
    sshd,
    certDir,
    paths: { cert: join(certDir, 'cert.pem'), chain: join(certDir, 'chain.pem'), key: join(certDir, 'key.pem') },
    reloadCommand: reload,
    validateCommand: validate,
    reloads: () => {
      const log = join(home, 'reloads.log');
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
    },
    failNextReload: () => flag('fail-reload', true),
    failValidate: (on) => flag('fail-validate', on),
    sftpGet(path) {
      const target = join(local, `get-${Date.now()}-${Math.random().toString(16).slice(2)}`);
      const sftp = (batch: string) =>
        execFileSync(
          'sftp',
          [
            '-q',
            '-b',
            '-',
            '-i',
            sshd.clientKeyPath,
            '-P',
            String(sshd.port),
            '-o',
            `UserKnownHostsFile=${sshd.knownHostsPath}`,
            '-o',
            'BatchMode=yes',
            `${sshd.user}@${sshd.host}`,
          ],
          { input: batch, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
        );
      try {
        // ls -ln prints the mode and numeric owner as the server reports them over SFTP.
        const listing = sftp(`ls -ln ${path}\n`)
          .split('\n')
          .find((l) => !l.startsWith('sftp>') && l.trim().endsWith(path));
        sftp(`get -p ${path} ${target}\n`);
        const fields = listing!.trim().split(/\s+/);
        return {
          bytes: readFileSync(target),
          mode: statSync(target).mode & 0o7777,
          uid: numericId('passwd', fields[2]!),
          gid: numericId('group', fields[3]!),
        };
      } catch (error) {
        if (/not found|No such file/i.test(String((error as { stderr?: string }).stderr ?? ''))) return undefined;
        throw error;
      } finally {
        rmSync(target, { force: true });
      }
    },
    async stop() {
      rmSync(local, { recursive: true, force: true });
      await sshd.stop();
    },
  };
}
