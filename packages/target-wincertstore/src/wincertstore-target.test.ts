import {
  createFakeWindowsHost,
  createTestContext,
  createTestDeployRequest,
  type FakeWindowsHost,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, type DeployRequest, parseConfig } from '@certctl/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { winCertStoreConfigSchema } from './wincertstore-config.js';
import { createWinCertStoreTarget } from './wincertstore-target.js';

let host: FakeWindowsHost;
let ctx: TestContext;
beforeEach(async () => {
  host = createFakeWindowsHost();
  ctx = await createTestContext({ exec: host.exec });
});
afterEach(() => ctx.cleanup());

const target = (extra: Record<string, unknown> = {}) =>
  createWinCertStoreTarget(
    parseConfig(winCertStoreConfigSchema, { friendly_name: "O'Brien’s API", ...extra }, 'target-wincertstore'),
    ctx,
  );
const request = (): Promise<DeployRequest> => createTestDeployRequest({ commonName: 'api.example.test' });
const my = () => host.store('LocalMachine', 'My');
const active = () => my().filter((c) => !c.archived);

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConnectorError.isInstance(error), `expected a typed error, got ${String(error)}`).toBe(true);
  return error as ConnectorError;
}

describe('deploy through generated PowerShell (recorded transcript)', () => {
  it('imports, archives the replaced certificate, reads back; the values reach PowerShell unchanged', async () => {
    const t = target();
    const first = await request();
    await t.deploy(first);
    const renewal = await request();
    host.transcript.length = 0;
    const result = await t.deploy(renewal);
    expect(result.changed).toBe(true);
    expect(host.transcript.map((e) => e.operation)).toEqual([
      'CertStore.List',
      'CertStore.Import',
      'CertStore.SetArchived',
      'CertStore.List',
    ]);
    const imported = host.transcript[1]!;
    expect(imported.parameters).toMatchObject({
      StoreLocation: 'LocalMachine',
      StoreName: 'My',
      FriendlyName: "O'Brien’s API",
      Thumbprint: result.metadata?.thumbprint,
    });
    expect(active().map((c) => c.serial.toLowerCase())).toEqual([renewal.serial.replace(/^0+/, '')]);
    expect(my().filter((c) => c.archived)).toHaveLength(1);
    expect(host.store('LocalMachine', 'CA').length).toBeGreaterThan(0);
  });

  it('the same certificate again runs only a read', async () => {
    const t = target();
    const req = await request();
    await t.deploy(req);
    host.transcript.length = 0;
    expect((await t.deploy(req)).changed).toBe(false);
    expect(host.transcript.map((e) => e.operation)).toEqual(['CertStore.List']);
  });

  it('remove_expired deletes expired certificates of the same common name only', async () => {
    const t = target({ remove_expired: true });
    const old = {
      thumbprint: 'AA'.repeat(20),
      serial: '01',
      commonName: 'api.example.test',
      notAfter: new Date('2020-01-01T00:00:00Z'),
      friendlyName: 'old',
      archived: false,
      hasPrivateKey: true,
    };
    my().push(old, { ...old, thumbprint: 'BB'.repeat(20), commonName: 'other.example.test' });
    const result = await t.deploy(await request());
    expect(result.detail).toContain(`removed expired ${'AA'.repeat(20)}`);
    expect(my().map((c) => c.thumbprint)).not.toContain('AA'.repeat(20));
    expect(my().map((c) => c.thumbprint)).toContain('BB'.repeat(20));
  });
});

describe('failures: the store is put back and the error says what to do', () => {
  it('an import refused (Access is denied) changes nothing and asks for administrator rights', async () => {
    const t = target();
    const first = await request();
    await t.deploy(first);
    host.failNext('CertStore.Import', 'Access is denied.');
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/Access is denied.*local administrator/);
    expect(active()).toHaveLength(1);
    expect((await t.validateDeployment({ serial: first.serial })).valid).toBe(true);
  });

  it('archiving refused after the import: the new certificate is removed, the previous stays active', async () => {
    const t = target();
    const first = await request();
    await t.deploy(first);
    host.failNext('CertStore.SetArchived', 'Access is denied.');
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/restored: .* removed/);
    expect(my()).toHaveLength(1);
    expect((await t.validateDeployment({ serial: first.serial })).valid).toBe(true);
    expect(
      ctx.metricsRecorded.some((m) => m.name === 'deploy_rollback_total' && m.labels?.outcome === 'restored'),
    ).toBe(true);
  });

  it('a read-back that fails after archiving unarchives the previous certificate', async () => {
    const t = target();
    const first = await request();
    await t.deploy(first);
    host.failNext('CertStore.List', 'The RPC server is unavailable.', { skip: 1 });
    const renewal = await request();
    const error = await rejection(t.deploy(renewal));
    expect(error.message).toMatch(/RPC server is unavailable.*unarchived.*removed/);
    expect(active().map((c) => c.serial.toLowerCase())).toEqual([first.serial.replace(/^0+/, '')]);
  });

  it('a restore that fails too says so', async () => {
    const t = target();
    await t.deploy(await request());
    host.failNext('CertStore.SetArchived', 'Access is denied.');
    host.failNext('CertStore.Remove', 'Access is denied.');
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/restoring failed too/);
  });

  it('powershell.exe missing on the agent host is a typed error', async () => {
    const noShell = await createTestContext({
      exec: async () => ({
        exitCode: 127,
        signal: null,
        stdout: '',
        stderr: 'powershell.exe: not found',
        timedOut: false,
        truncated: false,
      }),
    });
    const t = createWinCertStoreTarget(parseConfig(winCertStoreConfigSchema, {}, 'x'), noShell);
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/powershell.exe: not found/);
    await noShell.cleanup();
  });

  it('WinRM credentials refused: AuthenticationError, no password in the message', async () => {
    const { startFakeWinRm } = await import('@certctl/connector-testkit');
    const winrm = await startFakeWinRm({ host, username: 'certctl', password: 'right', auth: 'basic' });
    const { writeFile } = await import('node:fs/promises');
    const caPath = `${ctx.tmpDir}/ca.pem`;
    await writeFile(caPath, winrm.caPem);
    try {
      const t = createWinCertStoreTarget(
        parseConfig(
          winCertStoreConfigSchema,
          {
            mode: 'winrm',
            winrm_host: '127.0.0.1',
            winrm_port: Number(new URL(winrm.endpoint).port),
            winrm_username: 'certctl',
            winrm_password: 'not-the-password',
            winrm_auth: 'basic',
            winrm_ca_path: caPath,
          },
          'x',
        ),
        ctx,
      );
      const error = await rejection(t.deploy(await request()));
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error.message).not.toContain('not-the-password');
      await t.stop();
    } finally {
      await winrm.close();
    }
  });
});
