import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareTlsMaterial } from '@certctl/connector-utils';
import { createTestDeployRequest } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

/** A throwaway instance directory: 0755 so the daemons' unprivileged users can traverse it. */
export function instanceDirectories(root: string): { certs: string } {
  chmodSync(root, 0o755);
  const certs = join(root, 'certs');
  mkdirSync(certs, { recursive: true });
  return { certs };
}

/** Writes an initial certificate and key by hand, as an operator's existing install would have them. */
export async function writeInitialCertificate(
  certPath: string,
  keyPath: string,
  commonName: string,
): Promise<DeployRequest> {
  const request = await createTestDeployRequest({ commonName });
  const material = prepareTlsMaterial(request);
  writeFileSync(certPath, material.fullchainPem, { mode: 0o644 });
  writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
  return request;
}

/** Runs a command that must succeed, with its stderr in the error when it does not. */
export function run(command: string, args: string[]): string {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();
}

/** Starts a daemon that forks into the background; its output is not captured (a kept pipe would block until it exits). */
export function startDaemon(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
}

export function uidOf(user: string): number {
  return Number(run('id', ['-u', user]).trim());
}
export function gidOf(group: string): number {
  return Number(run('getent', ['group', group]).split(':')[2]);
}

export interface WrappedCommand {
  /** What to configure as the command. */
  command: string;
  /** Makes the next run fail (exit 1) without running the real command. */
  failNext(): void;
  /** How many times the wrapper ran. */
  runs(): number;
}

/** Wraps a real command in a script that counts its runs and can be told to fail once. */
export function wrapCommand(dir: string, name: string, realCommand: string): WrappedCommand {
  const flag = join(dir, `${name}.fail-next`);
  const counter = join(dir, `${name}.runs`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh\necho run >> '${counter}'\nif [ -e '${flag}' ]; then rm -f '${flag}'; echo 'simulated ${name} failure' >&2; exit 1; fi\nexec ${realCommand}\n`,
    { mode: 0o755 },
  );
  return {
    command: `/bin/sh ${script}`,
    failNext: () => writeFileSync(flag, ''),
    runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}
