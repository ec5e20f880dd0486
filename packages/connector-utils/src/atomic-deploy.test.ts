import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError, DeployFailedError } from '@certctl/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployFiles } from './atomic-deploy.js';
import { createFakeClock } from './fake-clock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-deploy-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const p = (name: string) => join(dir, name);
const read = (name: string) => readFileSync(p(name), 'utf8');
const modeOf = (name: string) => statSync(p(name)).mode & 0o7777;
const isRoot = process.getuid?.() === 0;
const unexpected = (): never => {
  throw new Error('expected the deploy to fail');
};

/** Lays down an existing deployment: cert 0640 owned by 1234:1234 (when root), key 0600. */
function existingDeployment(): void {
  writeFileSync(p('cert.pem'), 'OLD CERT\n');
  chmodSync(p('cert.pem'), 0o640);
  writeFileSync(p('key.pem'), 'OLD KEY\n');
  chmodSync(p('key.pem'), 0o600);
  if (isRoot) chownSync(p('cert.pem'), 1234, 1234);
}

const newFiles = () => [
  { path: p('cert.pem'), content: 'NEW CERT\n', kind: 'certificate' as const },
  { path: p('key.pem'), content: 'NEW KEY\n', kind: 'private-key' as const },
  { path: p('chain.pem'), content: 'NEW CHAIN\n', kind: 'certificate' as const },
];

function expectOldStateRestored(): void {
  expect(read('cert.pem')).toBe('OLD CERT\n');
  expect(read('key.pem')).toBe('OLD KEY\n');
  expect(modeOf('cert.pem')).toBe(0o640);
  expect(modeOf('key.pem')).toBe(0o600);
  if (isRoot) expect(statSync(p('cert.pem')).uid).toBe(1234);
  expect(existsSync(p('chain.pem'))).toBe(false);
  expect(readdirSync(dir).filter((n) => n.includes('certctl-tmp'))).toEqual([]);
}

describe('deployFiles', () => {
  it('writes new files with the default modes whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const result = await deployFiles({
        files: [
          { path: p('cert.pem'), content: 'CERT', kind: 'certificate' },
          { path: p('key.pem'), content: new TextEncoder().encode('KEY') },
          { path: p('custom.pem'), content: 'X', mode: 0o640 },
        ],
      });
      expect(result.changed).toBe(true);
      expect(result.backups).toEqual([]);
    } finally {
      process.umask(previous);
    }
    expect(read('cert.pem')).toBe('CERT');
    expect(modeOf('cert.pem')).toBe(0o644);
    expect(modeOf('key.pem')).toBe(0o600);
    expect(modeOf('custom.pem')).toBe(0o640);
  });

  it('runs validate, reload and verify in order with the new files already in place', async () => {
    existingDeployment();
    const calls: string[] = [];
    await deployFiles({
      files: newFiles(),
      validate: async () => {
        calls.push(`validate:${read('cert.pem').trim()}`);
      },
      reload: async () => {
        calls.push('reload');
      },
      verify: async () => {
        calls.push('verify');
      },
    });
    expect(calls).toEqual(['validate:NEW CERT', 'reload', 'verify']);
  });

  it('keeps the existing mode and owner of a file it replaces', async () => {
    existingDeployment();
    await deployFiles({ files: newFiles() });
    expect(read('cert.pem')).toBe('NEW CERT\n');
    expect(modeOf('cert.pem')).toBe(0o640);
    if (isRoot) expect(statSync(p('cert.pem')).uid).toBe(1234);
    expect(modeOf('chain.pem')).toBe(0o644);
  });

  it('does nothing, not even validate or reload, when the bytes are already deployed', async () => {
    existingDeployment();
    await deployFiles({ files: newFiles() });
    let hooks = 0;
    const hook = async () => {
      hooks++;
    };
    const second = await deployFiles({ files: newFiles(), validate: hook, reload: hook, verify: hook });
    expect(second).toEqual({ changed: false, files: newFiles().map((f) => f.path), backups: [] });
    expect(hooks).toBe(0);
  });

  it('deploy restores the previous certificate when validate fails, without reloading', async () => {
    existingDeployment();
    let reloads = 0;
    const error = await deployFiles({
      files: newFiles(),
      connector: 'target-nginx',
      validate: async () => {
        throw new Error('nginx: [emerg] cannot load certificate');
      },
      reload: async () => {
        reloads++;
      },
    }).then(unexpected, (e: Error) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(DeployFailedError.isInstance(error) && error.rollback).toBe('restored');
    expect(error.message).toBe(
      `[certctl] [target-nginx] deploy of ${p('cert.pem')} (+2 more) failed during validate: nginx: [emerg] cannot load certificate; the previous files were restored`,
    );
    expect(reloads).toBe(0);
    expectOldStateRestored();
  });

  it('deploy restores the previous files and reloads again when reload fails', async () => {
    existingDeployment();
    const reloadsSaw: string[] = [];
    const error = await deployFiles({
      files: newFiles(),
      reload: async () => {
        reloadsSaw.push(read('cert.pem').trim());
        if (reloadsSaw.length === 1) throw new Error('exit status 1');
      },
    }).then(unexpected, (e: Error) => e);
    expect(error.message).toContain('failed during reload: exit status 1; the previous files were restored');
    expect(reloadsSaw).toEqual(['NEW CERT', 'OLD CERT']);
    expectOldStateRestored();
  });

  it('deploy restores the previous files and reloads again when verify fails', async () => {
    existingDeployment();
    let reloads = 0;
    const error = await deployFiles({
      files: newFiles(),
      reload: async () => {
        reloads++;
      },
      verify: async () => {
        throw new Error('server still presents serial 01');
      },
    }).then(unexpected, (e: Error) => e);
    expect(error.message).toContain('failed during verify: server still presents serial 01');
    expect(reloads).toBe(2);
    expectOldStateRestored();
  });

  it('says so loudly when the rollback itself fails', async () => {
    existingDeployment();
    const error = await deployFiles({
      files: newFiles(),
      reload: async () => {
        throw new Error('systemd is down');
      },
    }).then(unexpected, (e: Error) => e);
    expect(error.message).toMatch(
      /failed during reload: systemd is down; ROLLBACK FAILED \(reload after restoring: systemd is down\)/,
    );
    expect(DeployFailedError.isInstance(error) && error.rollback).toBe('failed');
    // The bytes are back even though the service could not be reloaded.
    expect(read('cert.pem')).toBe('OLD CERT\n');
  });

  it('removes files that did not exist before when a deploy into an empty directory fails', async () => {
    await expect(
      deployFiles({
        files: [{ path: p('new.pem'), content: 'X' }],
        validate: async () => {
          throw new Error('bad');
        },
      }),
    ).rejects.toThrow(/failed during validate/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails in the write phase without touching anything when a target directory is missing', async () => {
    existingDeployment();
    const error = await deployFiles({
      files: [...newFiles(), { path: p('missing-dir/x.pem'), content: 'X' }],
    }).then(unexpected, (e: Error) => e);
    expect(error.message).toMatch(/failed during write: .*ENOENT.*; nothing was replaced/);
    expect(DeployFailedError.isInstance(error) && error.rollback).toBe('not_needed');
    expectOldStateRestored();
  });

  it('keeps the last N backups beside each file with the old bytes and mode', async () => {
    existingDeployment();
    const clock = createFakeClock({ start: Date.UTC(2025, 5, 1, 12, 0, 0) });
    for (let i = 1; i <= 4; i++) {
      await deployFiles({ files: [{ path: p('key.pem'), content: `KEY ${i}\n` }], backups: 2, clock });
      await clock.advance(60_000);
    }
    const backups = readdirSync(dir)
      .filter((n) => n.startsWith('key.pem.certctl-bak.'))
      .sort();
    expect(backups).toEqual(['key.pem.certctl-bak.20250601T120200000Z', 'key.pem.certctl-bak.20250601T120300000Z']);
    expect(readFileSync(p(backups[1]!), 'utf8')).toBe('KEY 3\n');
    expect(modeOf(backups[1]!)).toBe(0o600);
  });

  it('makes distinct backups for two deploys in the same millisecond', async () => {
    existingDeployment();
    const clock = createFakeClock();
    await deployFiles({ files: [{ path: p('key.pem'), content: 'A' }], clock });
    await deployFiles({ files: [{ path: p('key.pem'), content: 'B' }], clock });
    const backups = readdirSync(dir)
      .filter((n) => n.startsWith('key.pem.certctl-bak.'))
      .sort();
    expect(backups).toEqual(['key.pem.certctl-bak.20250101T000000000Z', 'key.pem.certctl-bak.20250101T000000000Z-1']);
  });

  it('removes temp files left by a crashed deploy but not those of a live process', async () => {
    existingDeployment();
    const live = spawn('sleep', ['30']);
    try {
      writeFileSync(p('.cert.pem.certctl-tmp-999999999-abcdef'), 'half written');
      writeFileSync(p(`.cert.pem.certctl-tmp-${live.pid}-abcdef`), 'in progress');
      await deployFiles({ files: newFiles() });
      const leftovers = readdirSync(dir).filter((n) => n.includes('certctl-tmp'));
      expect(leftovers).toEqual([`.cert.pem.certctl-tmp-${live.pid}-abcdef`]);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('replaces the file a symlink points to, keeping the symlink', async () => {
    writeFileSync(p('real.pem'), 'OLD');
    symlinkSync(p('real.pem'), p('live.pem'));
    await deployFiles({ files: [{ path: p('live.pem'), content: 'NEW' }], backups: 0 });
    expect(read('real.pem')).toBe('NEW');
    expect(readFileSync(p('live.pem'), 'utf8')).toBe('NEW');
  });

  it('serialises concurrent deploys of the same file so each validates its own bytes', async () => {
    const seen: string[] = [];
    const deploy = (content: string) =>
      deployFiles({
        files: [{ path: p('cert.pem'), content }],
        validate: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          seen.push(`${content}=${read('cert.pem')}`);
        },
      });
    await Promise.all([deploy('A'), deploy('B'), deploy('C')]);
    expect(seen.sort()).toEqual(['A=A', 'B=B', 'C=C']);
  });

  it('writes nothing when the signal is already aborted', async () => {
    existingDeployment();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(deployFiles({ files: newFiles(), signal: controller.signal })).rejects.toThrow(
      /failed during write: shutting down/,
    );
    expectOldStateRestored();
  });

  it('rejects relative paths as a configuration error', async () => {
    await expect(deployFiles({ files: [{ path: 'cert.pem', content: 'x' }] })).rejects.toThrow(/not an absolute path/);
  });
});

describe('deployFiles before writing', () => {
  it('refuses a target that is a directory with a ConnectorError and writes nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'certctl-deploy-dir-'));
    try {
      mkdirSync(join(root, 'cert.pem'));
      const error = await deployFiles({
        files: [
          { path: join(root, 'key.pem'), content: 'KEY', kind: 'private-key' },
          { path: join(root, 'cert.pem'), content: 'CERT', kind: 'certificate' },
        ],
        connector: 'target-test',
      }).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('is not a regular file; nothing was replaced');
      expect(readdirSync(root)).toEqual(['cert.pem']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
