import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { ConnectorError, type DeployRequest, MalformedInputError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandRunner } from './command-runner.js';
import { createFileTarget } from './file-target.js';
import { createOperatorCommand } from './operator-command-step.js';
import { prepareTlsMaterial } from './tls-material.js';

let dir: string;
const pem: Record<string, string> = {};
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
const ec = (name: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  `${name}.key`,
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-file-target-'));
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  openssl('req', '-x509', ...ec('root'), '-out', 'root.crt', '-subj', '/CN=Root', '-days', '2');
  openssl('req', '-new', ...ec('int'), '-out', 'int.csr', '-subj', '/CN=Intermediate');
  openssl(
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.crt',
    '-CAkey',
    'root.key',
    '-set_serial',
    '0x77',
    '-days',
    '2',
    '-extfile',
    'ca.ext',
    '-out',
    'int.crt',
  );
  for (const [name, serial] of [
    ['leaf', '0x0100'],
    ['other', '0x0200'],
  ] as const) {
    openssl('req', '-new', ...ec(name), '-out', `${name}.csr`, '-subj', `/CN=${name}.test`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'int.crt',
      '-CAkey',
      'int.key',
      '-set_serial',
      serial,
      '-days',
      '2',
      '-out',
      `${name}.crt`,
    );
  }
  for (const f of ['root.crt', 'int.crt', 'leaf.crt', 'leaf.key', 'other.crt', 'other.key'])
    pem[f] = readFileSync(join(dir, f), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = (leaf: 'leaf' | 'other', key: 'leaf' | 'other' = leaf): DeployRequest => ({
  certPem: pem[`${leaf}.crt`]!,
  // Out of order on purpose: root before the intermediate.
  chainPem: pem['root.crt']! + pem['int.crt']!,
  keyPem: pem[`${key}.key`]!,
  serial: leaf === 'leaf' ? '0100' : '0200',
  fingerprintSha256: '',
  metadata: {},
});

describe('prepareTlsMaterial', () => {
  it('orders the chain and keeps the leaf apart; openssl verifies the fullchain', () => {
    const material = prepareTlsMaterial(request('leaf'));
    expect(material.leafPem).toBe(pem['leaf.crt']);
    expect(material.chainPem).toBe(pem['int.crt']! + pem['root.crt']!);
    expect(material.fullchainPem).toBe(material.leafPem + material.chainPem);
    writeFileSync(join(dir, 'fullchain.pem'), material.fullchainPem);
    expect(openssl('verify', '-CAfile', 'root.crt', '-untrusted', 'fullchain.pem', 'fullchain.pem')).toContain('OK');
  });

  it('refuses a key of another certificate', () => {
    expect(() => prepareTlsMaterial(request('leaf', 'other'))).toThrow(MalformedInputError);
  });
});

describe('createFileTarget', () => {
  const exec = createCommandRunner();
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  const out = () => join(dir, 'out');

  const target = (validate = '/bin/true') =>
    createFileTarget({
      connector: 'target-test',
      ctx: { exec, logger },
      files: (m) => [
        { path: join(out(), 'cert.pem'), content: m.fullchainPem, kind: 'certificate' },
        { path: join(out(), 'key.pem'), content: m.keyPem, kind: 'private-key' },
      ],
      certificatePath: join(out(), 'cert.pem'),
      validateCommand: createOperatorCommand(validate, { field: 'validate_command' }),
    });

  it('deploys, validates by serial, is idempotent, and lists steps in dryRun without writing', async () => {
    mkdirSync(out(), { recursive: true });
    const first = await target().deploy(request('leaf'));
    expect(first).toMatchObject({ changed: true });
    expect(first.detail).toContain('validate_command "/bin/true" passed');
    expect(statSync(join(out(), 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out(), 'cert.pem')).mode & 0o777).toBe(0o644);
    expect(await target().validateDeployment({ serial: '0100' })).toMatchObject({
      valid: true,
      observedSerial: '0100',
    });
    expect((await target().deploy(request('leaf'))).changed).toBe(false);
    const steps = (await target().dryRun(request('other'))).steps;
    expect(steps[0]).toContain(join(out(), 'cert.pem'));
    expect(steps).toContain('run validate_command: /bin/true');
    expect((await target().validateDeployment({ serial: '0200' })).valid).toBe(false);
  });

  it('testConnection runs the validate command and names a directory it cannot use', async () => {
    expect((await target().testConnection()).detail).toContain('validate_command "/bin/true" passed');
    await expect(target('/bin/false').testConnection()).rejects.toThrow(
      /validate_command "\/bin\/false" exited with 1/,
    );
    writeFileSync(join(dir, 'file'), '');
    const broken = createFileTarget({
      connector: 'target-test',
      ctx: { exec, logger },
      files: () => [{ path: join(dir, 'file', 'cert.pem'), content: '' }],
      certificatePath: join(dir, 'file', 'cert.pem'),
    });
    const error = await broken.testConnection().catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`${join(dir, 'file')} is not a directory`);
    chmodSync(join(dir, 'file'), 0o644);
    const missing = createFileTarget({
      connector: 'target-test',
      ctx: { exec, logger },
      files: () => [{ path: join(dir, 'missing', 'cert.pem'), content: '' }],
      certificatePath: join(dir, 'missing', 'cert.pem'),
    });
    await expect(missing.testConnection()).rejects.toThrow(
      `cannot write to ${join(dir, 'missing')} (ENOENT); create it or run the agent as a user that may write there`,
    );
  });

  it('names the service and the post-deploy check in the detail; a dry run of the same bytes runs nothing', async () => {
    const svc = join(dir, 'svc');
    mkdirSync(svc, { recursive: true });
    const served = prepareTlsMaterial(request('other'));
    const server = createTlsServer({ cert: served.fullchainPem, key: served.keyPem }, (s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const serviceTarget = createFileTarget({
        connector: 'target-test',
        ctx: { exec, logger },
        service: 'Test daemon',
        files: (m) => [
          { path: join(svc, 'cert.pem'), content: m.fullchainPem, kind: 'certificate' },
          { path: join(svc, 'key.pem'), content: m.keyPem, kind: 'private-key' },
        ],
        certificatePath: join(svc, 'cert.pem'),
        validateCommand: createOperatorCommand('/bin/true', { field: 'validate_command' }),
        reloadCommand: createOperatorCommand('/bin/true --reload', { field: 'reload_command' }),
        verify: { host: '127.0.0.1', port, withinMs: 5_000 },
      });
      const planned = (await serviceTarget.dryRun(request('other'))).steps;
      expect(planned.slice(-2)).toEqual([
        `check that 127.0.0.1:${port} presents the deployed certificate`,
        'on any failure: restore the previous files and run the reload command again',
      ]);
      expect((await serviceTarget.deploy(request('other'))).detail).toBe(
        `serial 0200: wrote ${join(svc, 'cert.pem')}, ${join(svc, 'key.pem')}; validate_command "/bin/true" passed; ` +
          `reload_command "/bin/true --reload" reloaded Test daemon; 127.0.0.1:${port} presents it`,
      );
      expect((await serviceTarget.deploy(request('other'))).detail).toBe(
        `serial 0200: unchanged: ${join(svc, 'cert.pem')}, ${join(svc, 'key.pem')} already hold these bytes; nothing written, Test daemon not reloaded`,
      );
      expect((await serviceTarget.dryRun(request('other'))).steps).toEqual([
        `keep ${join(svc, 'cert.pem')} (already these bytes)`,
        `keep ${join(svc, 'key.pem')} (already these bytes)`,
        'nothing changes: no file is written and no command runs',
      ]);
      expect((await serviceTarget.dryRun(request('leaf'))).steps[0]).toContain(`write ${join(svc, 'cert.pem')}`);
    } finally {
      server.close();
    }
  });

  it('aborts a deploy whose request carries no signal when ctx.signal has aborted, writing nothing', async () => {
    const aborted = join(dir, 'aborted');
    mkdirSync(aborted, { recursive: true });
    const abortedTarget = createFileTarget({
      connector: 'target-test',
      ctx: { exec, logger, signal: AbortSignal.abort(new Error('the agent is shutting down')) },
      files: (m) => [{ path: join(aborted, 'cert.pem'), content: m.fullchainPem, kind: 'certificate' }],
      certificatePath: join(aborted, 'cert.pem'),
    });
    await expect(abortedTarget.deploy(request('leaf'))).rejects.toThrow(
      /the agent is shutting down; nothing was replaced/,
    );
    expect(() => statSync(join(aborted, 'cert.pem'))).toThrow(/ENOENT/);
  });
});
