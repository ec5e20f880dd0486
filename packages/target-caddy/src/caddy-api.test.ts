import { createServer } from 'node:net';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  readServedCertificate,
  type TempDir,
  type TestContext,
  waitForServedSerial,
} from '@certctl/connector-testkit';
import { type DeployRequest, parseConfig, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyConfigSchema } from './caddy-config.js';
import { type CaddyTarget, createCaddyTarget } from './caddy-target.js';
import { type CaddyInstance, startCaddy } from './test-support/caddy-instance.js';
import { type RecordingProxy, startRecordingProxy } from './test-support/recording-proxy.js';

describe('target-caddy api mode against a real Caddy on loopback', () => {
  let dir: TempDir;
  let caddy: CaddyInstance;
  let ctx: TestContext;
  let target: CaddyTarget;
  let current: DeployRequest;
  const loads: string[] = [];
  let recorder: RecordingProxy | undefined;
  const served = async (serial: string) => (await waitForServedSerial({ port: caddy.httpsPort, serial })).serial;
  const runningConfig = async () => (await fetch(`${caddy.adminUrl}/config/`)).json();

  beforeAll(async () => {
    dir = await createTempDir('certctl-caddy-api-');
    caddy = await startCaddy(dir.path, 'api');
    current = caddy.initial;
    // Records every admin API call on its way to Caddy, so the tests can tell whether Caddy was asked to load a config.
    recorder = await startRecordingProxy(caddy.adminUrl, (method, path) => loads.push(`${method} ${path}`));
    ctx = await createTestContext();
    target = createCaddyTarget(
      parseConfig(caddyConfigSchema, {
        mode: 'api',
        admin_api: recorder.url,
        post_deploy_verify: { endpoint: `127.0.0.1:${caddy.httpsPort}` },
      }),
      ctx,
    );
  }, 60_000);

  afterAll(async () => {
    await recorder?.close();
    await caddy?.stop();
    await ctx?.cleanup();
    await dir?.remove();
  });

  it('serves the initial certificate before any deploy', async () => {
    expect(await served(current.serial)).toBe(current.serial);
  });

  it('loads a new certificate through the admin API; Caddy serves it at once', async () => {
    const request = await createTestDeployRequest({ commonName: 'api.caddy.example.test' });
    const result = await target.deploy(request);
    expect(result.changed).toBe(true);
    expect((await readServedCertificate({ port: caddy.httpsPort })).serial).toBe(request.serial);
    expect(
      (await target.validateDeployment({ serial: request.serial, fingerprintSha256: request.fingerprintSha256 })).valid,
    ).toBe(true);
    expect((await target.validateDeployment({ serial: current.serial })).valid).toBe(false);
    // Other certificates in the config are left alone.
    const pem = (await runningConfig()).apps.tls.certificates;
    expect(pem.load_pem).toHaveLength(1);
    expect(pem.load_files).toHaveLength(1);
    current = request;
  });

  it('deploying the same bytes twice is a no-op: Caddy is not asked to load anything', async () => {
    const before = loads.filter((l) => l.startsWith('POST')).length;
    const result = await target.deploy(current);
    expect(result.changed).toBe(false);
    expect(loads.filter((l) => l.startsWith('POST')).length).toBe(before);
    expect(await served(current.serial)).toBe(current.serial);
  });

  it('keeps serving the old certificate when Caddy rejects the new config, with a typed error and no key in it', async () => {
    const configBefore = await runningConfig();
    const request = await createTestDeployRequest({ commonName: 'rejected.caddy.example.test' });
    caddy.breakAux();
    try {
      const error = await target.deploy(request).catch((e: unknown) => e);
      expect(VendorApiError.isInstance(error)).toBe(true);
      expect((error as VendorApiError).status).toBe(400);
      expect((error as VendorApiError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/refused POST \/load \(400\): .*loading certificates/);
      expect((error as Error).message).not.toContain('PRIVATE KEY');
    } finally {
      caddy.restoreAux();
    }
    expect(await runningConfig()).toEqual(configBefore);
    expect((await readServedCertificate({ port: caddy.httpsPort })).serial).toBe(current.serial);
    expect((await target.validateDeployment({ serial: request.serial })).valid).toBe(false);
  });

  it('loads the previous config again when the post-deploy TLS check fails', async () => {
    const configBefore = await runningConfig();
    const silent = createServer();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    await new Promise((resolve) => silent.close(resolve));
    const checked = createCaddyTarget(
      parseConfig(caddyConfigSchema, {
        mode: 'api',
        admin_api: caddy.adminUrl,
        post_deploy_verify: { endpoint: `127.0.0.1:${silentPort}`, timeout_seconds: 2 },
      }),
      ctx,
    );
    const request = await createTestDeployRequest({ commonName: 'unverified.caddy.example.test' });
    const error = await checked.deploy(request).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /does not present the deployed certificate.*the previous config was loaded again/,
    );
    expect(await runningConfig()).toEqual(configBefore);
    expect(await served(current.serial)).toBe(current.serial);
  });

  it('refuses a key that does not match before calling Caddy', async () => {
    const calls = loads.length;
    const other = await createTestDeployRequest({ commonName: 'mismatch.caddy.example.test' });
    await expect(target.deploy({ ...other, keyPem: current.keyPem })).rejects.toThrow(
      /does not belong to the certificate/,
    );
    expect(loads.length).toBe(calls);
  });
});
