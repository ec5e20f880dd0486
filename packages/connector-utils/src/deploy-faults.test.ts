import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployFilesWithCommands } from './command-deploy.js';
import { createCommandRunner } from './command-runner.js';
import { createOperatorCommand } from './operator-command-step.js';

/*
 * Faults on the host while an agent deploys (docs/reliability.md, Fault injection): a disk that
 * fills up mid-write and a reload that hangs past its deadline. Each must end with the old
 * certificate in place and served (reloaded), never a half-written file or a leftover temp file.
 */
const exec = createCommandRunner();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-deploy-faults-'));
});
afterEach(() => {
  try {
    execFileSync('umount', [join(dir, 'disk')], { stdio: 'ignore' });
  } catch {}
  rmSync(dir, { recursive: true, force: true });
});

const OLD_CERT = '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n';
const NEW_CERT = `-----BEGIN CERTIFICATE-----\n${'NEW'.repeat(4000)}\n-----END CERTIFICATE-----\n`;

/** A reload script that logs the certificate it saw, and hangs while that certificate is the new one. */
function reloadScript(at: string) {
  const path = join(dir, 'reload.sh');
  writeFileSync(
    path,
    `#!/bin/sh\nhead -c 40 "${at}/cert.pem" | tr -d '\\n' >> "${dir}/reload.log"; echo >> "${dir}/reload.log"\n` +
      `if grep -q NEW "${at}/cert.pem"; then exec sleep 30; fi\n`,
  );
  chmodSync(path, 0o755);
  return createOperatorCommand(path, { field: 'reload_command', timeoutMs: 500 });
}

describe('deploying when the host fails', () => {
  it('a disk that fills up while the new certificate is written leaves the old one whole, and nothing else', async () => {
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    // A real filesystem that runs out of space (root can mount a tmpfs of 64 KiB).
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test mounts a 64 KiB tmpfs and needs root: ${(error as Error).message}`);
    }
    writeFileSync(join(disk, 'cert.pem'), OLD_CERT);
    writeFileSync(join(disk, 'key.pem'), 'OLD KEY');
    // Fill the disk so that the old files fit and the new certificate does not.
    let filler = 0;
    try {
      for (;;) writeFileSync(join(disk, `filler-${filler++}`), Buffer.alloc(4096, 1));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const before = readdirSync(disk).sort();

    const deploy = deployFilesWithCommands({
      files: [
        { path: join(disk, 'cert.pem'), content: NEW_CERT, kind: 'certificate' },
        { path: join(disk, 'key.pem'), content: 'NEW KEY', kind: 'private-key' },
      ],
      exec,
      reloadCommand: reloadScript(disk),
    });
    await expect(deploy).rejects.toThrow(/ENOSPC|no space/i);
    expect(readFileSync(join(disk, 'cert.pem'), 'utf8')).toBe(OLD_CERT);
    expect(readFileSync(join(disk, 'key.pem'), 'utf8')).toBe('OLD KEY');
    expect(readdirSync(disk).sort()).toEqual(before);
    // Nothing was written, so nothing was reloaded: the server still serves the old certificate.
    expect(() => readFileSync(join(dir, 'reload.log'))).toThrow();
  });

  it('a reload that hangs past its deadline is killed; the old certificate is restored and reloaded', async () => {
    writeFileSync(join(dir, 'cert.pem'), OLD_CERT);
    writeFileSync(join(dir, 'key.pem'), 'OLD KEY');
    const started = Date.now();
    const deploy = deployFilesWithCommands({
      files: [
        { path: join(dir, 'cert.pem'), content: NEW_CERT, kind: 'certificate' },
        { path: join(dir, 'key.pem'), content: 'NEW KEY', kind: 'private-key' },
      ],
      exec,
      reloadCommand: reloadScript(dir),
    });
    await expect(deploy).rejects.toThrow(/reload_command|timed out|deadline/i);
    // Killed at its deadline, not after the 30 s it would have hung.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(OLD_CERT);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe('OLD KEY');
    // The hung reload saw the new certificate; the reload after the rollback loaded the old one again.
    const reloads = readFileSync(join(dir, 'reload.log'), 'utf8').trim().split('\n');
    expect(reloads).toHaveLength(2);
    expect(reloads[0]).toContain('NEW');
    expect(reloads[1]).toContain('OLD');
    expect(readdirSync(dir).filter((name) => name.includes('.tmp') || name.startsWith('.'))).toEqual([]);
  });
});
