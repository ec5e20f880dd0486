import {
  createFakeWindowsHost,
  createTestContext,
  createTestDeployRequest,
  type FakeWindowsHost,
  type TestContext,
} from '@certctl/connector-testkit';
import { ConnectorError, type DeployRequest, parseConfig } from '@certctl/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { iisConfigSchema } from './iis-config.js';
import { createIisTarget } from './iis-target.js';

let host: FakeWindowsHost;
let ctx: TestContext;
beforeEach(async () => {
  host = createFakeWindowsHost();
  host.addSite('Default Web Site');
  ctx = await createTestContext({ exec: host.exec });
});
afterEach(() => ctx.cleanup());

const target = (extra: Record<string, unknown> = {}) =>
  createIisTarget(
    parseConfig(
      iisConfigSchema,
      {
        site_name: 'Default Web Site',
        cert_store: 'WebHosting',
        sni: true,
        binding_info: 'www.example.test',
        ...extra,
      },
      'target-iis',
    ),
    ctx,
  );
const request = (): Promise<DeployRequest> => createTestDeployRequest({ commonName: 'www.example.test' });
const binding = () => host.site('Default Web Site')![0];

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConnectorError.isInstance(error), `expected a typed error, got ${String(error)}`).toBe(true);
  return error as ConnectorError;
}

describe('binding through generated PowerShell (recorded transcript)', () => {
  it('creates the https binding with SNI on the first deploy, rebinds on renewal', async () => {
    const t = target();
    const first = await target().deploy(await request());
    expect(binding()).toMatchObject({
      ipAddress: '*',
      port: 443,
      hostHeader: 'www.example.test',
      sslFlags: 1,
      storeName: 'WebHosting',
    });
    expect(binding()!.thumbprint).toBe(first.metadata?.thumbprint);
    host.transcript.length = 0;
    const renewal = await request();
    const result = await t.deploy(renewal);
    expect(result.detail).toContain(`was ${first.metadata?.thumbprint}`);
    expect(host.transcript.map((e) => e.operation)).toEqual([
      'Iis.GetBinding',
      'CertStore.List',
      'CertStore.Import',
      'Iis.SetBinding',
      'Iis.GetBinding',
    ]);
    expect(host.transcript[3]!.parameters).toMatchObject({
      SiteName: 'Default Web Site',
      IPAddress: '*',
      Port: 443,
      HostHeader: 'www.example.test',
      Sni: true,
      StoreName: 'WebHosting',
      Thumbprint: result.metadata?.thumbprint,
    });
    expect((await t.validateDeployment({ serial: renewal.serial })).valid).toBe(true);
  });

  it('ip_address "" means all unassigned ("*")', async () => {
    await target({ ip_address: '' }).deploy(await request());
    expect(binding()!.ipAddress).toBe('*');
  });
});

describe('failures: the previous thumbprint is rebound and the error says what to do', () => {
  it('a missing site changes nothing and names site_name', async () => {
    const error = await rejection(target({ site_name: 'Contoso' }).deploy(await request()));
    expect(error.message).toMatch(/Cannot find a web site named 'Contoso'.*check site_name/);
    expect(host.store('LocalMachine', 'WebHosting')).toHaveLength(0);
  });

  it('binding refused after the import: previous thumbprint rebound, new certificate removed', async () => {
    const t = target();
    const first = await t.deploy(await request());
    host.failNext('Iis.SetBinding', 'A specified logon session does not exist.', { applied: true });
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/cert_store \(My or WebHosting\).*restored: rebound .*; removed /);
    expect(binding()!.thumbprint).toBe(first.metadata?.thumbprint);
    expect(host.store('LocalMachine', 'WebHosting')).toHaveLength(1);
    expect(
      ctx.metricsRecorded.some((m) => m.name === 'deploy_rollback_total' && m.labels?.outcome === 'restored'),
    ).toBe(true);
  });

  it('a first deploy that fails after creating the binding removes it again', async () => {
    host.failNext('Iis.GetBinding', 'The RPC server is unavailable.', { skip: 1 });
    const error = await rejection(target().deploy(await request()));
    expect(error.message).toMatch(/removed the binding this deploy created/);
    expect(host.site('Default Web Site')).toHaveLength(0);
    expect(host.store('LocalMachine', 'WebHosting')).toHaveLength(0);
  });

  it('an import refused (Access is denied) asks for administrator rights and changes nothing', async () => {
    const t = target();
    const first = await t.deploy(await request());
    host.failNext('CertStore.Import', 'Access is denied.');
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/local administrator/);
    expect(binding()!.thumbprint).toBe(first.metadata?.thumbprint);
  });

  it('a rebind that fails too says so', async () => {
    const t = target();
    await t.deploy(await request());
    host.failNext('Iis.SetBinding', 'boom', { applied: true });
    host.failNext('Iis.SetBinding', 'still broken');
    const error = await rejection(t.deploy(await request()));
    expect(error.message).toMatch(/restoring failed too: .*still broken/);
    expect(ctx.metricsRecorded.some((m) => m.labels?.outcome === 'also_failed')).toBe(true);
  });
});
