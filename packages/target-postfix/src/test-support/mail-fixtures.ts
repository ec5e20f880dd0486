import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDeployRequest } from '@certctl/connector-testkit';
import { prepareTlsMaterial } from '@certctl/connector-utils';
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
