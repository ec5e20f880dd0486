import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError, DeadlineExceededError } from '@certctl/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployFilesWithCommands, describeCommandDeploy } from './command-deploy.js';
import { createCommandRunner } from './command-runner.js';
import { createOperatorCommand, type OperatorCommand } from './operator-command-step.js';

const exec = createCommandRunner();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-command-deploy-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const p = (name: string) => join(dir, name);
const read = (name: string) => readFileSync(p(name), 'utf8');
const lines = (name: string) => {
  try {
    return read(name).split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** A script standing in for `nginx -t` / `nginx -s reload`: logs each run with the cert it saw, fails while a flag file exists. */
function script(name: string, flag: string): OperatorCommand {
  writeFileSync(
    p(name),
    `#!/bin/sh\necho "$(cat "${p('cert.pem')}")" >> "${p(`${name}.log`)}"\nif [ -e "${p(flag)}" ]; then echo "${name}: refused by test" >&2; exit 3; fi\n`,
  );
  chmodSync(p(name), 0o755);
  return createOperatorCommand(p(name), { field: name.startsWith('validate') ? 'validate_command' : 'reload_command' });
}

function existing(): void {
  writeFileSync(p('cert.pem'), 'OLD CERT');
  chmodSync(p('cert.pem'), 0o644);
  writeFileSync(p('key.pem'), 'OLD KEY');
  chmodSync(p('key.pem'), 0o600);
}

const files = () => [
  { path: p('cert.pem'), content: 'NEW CERT', kind: 'certificate' as const },
  { path: p('key.pem'), content: 'NEW KEY', kind: 'private-key' as const },
];

describe('deployFilesWithCommands', () => {
  it('writes, validates with the new files in place, then reloads', async () => {
    existing();
    const result = await deployFilesWithCommands({
      files: files(),
      exec,
      validateCommand: script('validate.sh', 'validate.fail'),
      reloadCommand: script('reload.sh', 'reload.fail'),
    });
    expect(result.changed).toBe(true);
    expect(read('cert.pem')).toBe('NEW CERT');
    expect(lines('validate.sh.log')).toEqual(['NEW CERT']);
    expect(lines('reload.sh.log')).toEqual(['NEW CERT']);
    expect(result.steps).toEqual([
      `wrote ${p('cert.pem')}, ${p('key.pem')}`,
      `validate_command "${p('validate.sh')}" passed`,
      `reload_command "${p('reload.sh')}" passed`,
    ]);
  });

  it('runs no command when the files already hold the bytes', async () => {
    writeFileSync(p('cert.pem'), 'NEW CERT');
    writeFileSync(p('key.pem'), 'NEW KEY');
    const result = await deployFilesWithCommands({
      files: files(),
      exec,
      validateCommand: script('validate.sh', 'validate.fail'),
      reloadCommand: script('reload.sh', 'reload.fail'),
    });
    expect(result.changed).toBe(false);
    expect(result.steps).toEqual([
      `unchanged: ${p('cert.pem')}, ${p('key.pem')} already hold these bytes; nothing written, no command run`,
    ]);
    expect(lines('validate.sh.log')).toEqual([]);
    expect(lines('reload.sh.log')).toEqual([]);
  });

  it('names the service in the reload step and in the no-op step', async () => {
    existing();
    const deploy = () =>
      deployFilesWithCommands({
        files: files(),
        exec,
        validateCommand: script('validate.sh', 'validate.fail'),
        reloadCommand: script('reload.sh', 'reload.fail'),
        service: 'Postfix',
      });
    expect((await deploy()).steps).toEqual([
      `wrote ${p('cert.pem')}, ${p('key.pem')}`,
      `validate_command "${p('validate.sh')}" passed`,
      `reload_command "${p('reload.sh')}" reloaded Postfix`,
    ]);
    expect((await deploy()).steps).toEqual([
      `unchanged: ${p('cert.pem')}, ${p('key.pem')} already hold these bytes; nothing written, Postfix not reloaded`,
    ]);
    expect(lines('reload.sh.log')).toEqual(['NEW CERT']);
  });

  it('restores the previous files without reloading when the validate command fails, with its output', async () => {
    existing();
    writeFileSync(p('validate.fail'), '');
    const error = await deployFilesWithCommands({
      files: files(),
      exec,
      validateCommand: script('validate.sh', 'validate.fail'),
      reloadCommand: script('reload.sh', 'reload.fail'),
      connector: 'target-test',
    }).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed during validate');
    expect((error as Error).message.match(/\[certctl\]/g), 'one prefix, not one per layer').toHaveLength(1);
    expect((error as Error).message).toContain('exited with 3: validate.sh: refused by test');
    expect(read('cert.pem')).toBe('OLD CERT');
    expect(read('key.pem')).toBe('OLD KEY');
    expect(statSync(p('key.pem')).mode & 0o777).toBe(0o600);
    expect(lines('reload.sh.log')).toEqual([]);
  });

  it('restores the previous files and reloads them when the reload command fails', async () => {
    existing();
    writeFileSync(p('reload.fail'), '');
    const error = await deployFilesWithCommands({
      files: files(),
      exec,
      validateCommand: script('validate.sh', 'validate.fail'),
      reloadCommand: script('reload.sh', 'reload.fail'),
    }).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed during reload');
    expect(read('cert.pem')).toBe('OLD CERT');
    // The failed reload saw the new files; the second one (after restoring) the old ones. It failed too, so says so.
    expect(lines('reload.sh.log')).toEqual(['NEW CERT', 'OLD CERT']);
    expect((error as Error).message).toContain('ROLLBACK FAILED');
  });

  it('reloads the restored files when an in-process check fails after nothing loaded them', async () => {
    existing();
    const error = await deployFilesWithCommands({
      files: files(),
      exec,
      check: async () => {
        throw new Error('sds.json does not parse');
      },
      reloadCommand: script('reload.sh', 'reload.fail'),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('sds.json does not parse');
    expect(read('cert.pem')).toBe('OLD CERT');
    expect(lines('reload.sh.log')).toEqual([]);
  });
});

describe('createOperatorCommand', () => {
  it('turns a timeout into a DeadlineExceededError', async () => {
    const error = await createOperatorCommand('/bin/sleep 5', { field: 'reload_command', timeoutMs: 100 })
      .run(exec)
      .catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('reload_command "/bin/sleep 5" did not finish within 100 ms');
  });

  it('caps the output quoted in the error', async () => {
    writeFileSync(p('noisy.sh'), 'head -c 10000 /dev/zero | tr "\\0" x; exit 1\n');
    const error = await createOperatorCommand(`/bin/sh ${p('noisy.sh')}`, { field: 'validate_command' })
      .run(exec)
      .catch((e: unknown) => e);
    expect((error as Error).message.length).toBeLessThan(2_300);
    expect((error as Error).message).toMatch(/exited with 1: x+…$/);
  });

  it('names a command that cannot be found', async () => {
    const error = await createOperatorCommand('/nonexistent/nginx -t', { field: 'validate_command' })
      .run(exec)
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('/nonexistent/nginx');
  });
});

describe('describeCommandDeploy', () => {
  it('lists files with their modes, then the commands', () => {
    expect(
      describeCommandDeploy({
        files: [
          { path: '/etc/nginx/cert.pem', kind: 'certificate' },
          { path: '/etc/nginx/key.pem', kind: 'private-key' },
        ],
        validateCommand: { field: 'validate_command', text: 'nginx -t' },
        reloadCommand: { field: 'reload_command', text: 'systemctl reload nginx' },
      }),
    ).toEqual(
      [
        '/etc/nginx/cert.pem',
        '/etc/nginx/key.pem',
        'run validate_command: nginx -t',
        'run reload_command: systemctl reload nginx',
        'on any failure: restore the previous files and run the reload command again',
      ].map((s, i) =>
        i === 0
          ? `write ${s} (mode 0644 if new; an existing file keeps its mode and owner)`
          : i === 1
            ? `write ${s} (mode 0600 if new; an existing file keeps its mode and owner)`
            : s,
      ),
    );
  });

  it('lists the post-deploy check after the reload', () => {
    expect(
      describeCommandDeploy({
        files: [{ path: '/etc/postfix/certs/cert.pem', kind: 'certificate' }],
        reloadCommand: { field: 'reload_command', text: 'postfix reload' },
        verify: { host: '127.0.0.1', port: 25 },
      }),
    ).toEqual([
      'write /etc/postfix/certs/cert.pem (mode 0644 if new; an existing file keeps its mode and owner)',
      'run reload_command: postfix reload',
      'check that 127.0.0.1:25 presents the deployed certificate',
      'on any failure: restore the previous files and run the reload command again',
    ]);
  });
});
