import { readFileSync, statSync } from 'node:fs';
import {
  createTestContext,
  createTestDeployRequest,
  freeLoopbackPort,
  readServedCertificate,
  type TestContext,
  waitForServedSerial,
} from '@certctl/connector-testkit';
import { ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxConfigSchema } from './nginx-config.js';
import { createNginxTarget } from './nginx-target.js';
import { type NginxServer, startNginx } from './test-support/nginx-server.js';

let nginx: NginxServer;
let ctx: TestContext;
let target: TargetInstance;
let current: DeployRequest;
const SNI = 'site.example.test';

beforeAll(async () => {
  current = await createTestDeployRequest({ commonName: SNI });
  nginx = await startNginx(current);
  ctx = await createTestContext();
  const config = nginxConfigSchema.parse({
    cert_path: nginx.certPath,
    chain_path: nginx.chainPath,
    key_path: nginx.keyPath,
    validate_command: nginx.validateCommand,
    reload_command: nginx.reloadCommand,
  });
  target = createNginxTarget(config, ctx);
}, 30_000);
afterAll(async () => {
  await nginx?.stop();
  await ctx?.cleanup();
});

const files = () => ({
  cert: readFileSync(nginx.certPath, 'utf8'),
  chain: readFileSync(nginx.chainPath, 'utf8'),
  key: readFileSync(nginx.keyPath, 'utf8'),
});
const served = () => readServedCertificate({ port: nginx.port, servername: SNI });

/** The old certificate is served once nginx has handled every reload so far, and stays served. */
async function expectStillServing(request: DeployRequest): Promise<void> {
  await nginx.waitForReloads(nginx.reloads());
  await waitForServedSerial({ port: nginx.port, servername: SNI, serial: request.serial });
  expect((await served()).serial).toBe(request.serial);
}

describe('target-nginx against a real nginx', () => {
  it('deploys a certificate that nginx then serves (serial read back with openssl s_client), with its chain', async () => {
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = nginx.reloads();
    const result = await target.deploy(next);
    expect(result.changed).toBe(true);
    expect(nginx.reloads()).toBe(reloadsBefore + 1);
    const tls = await waitForServedSerial({ port: nginx.port, servername: SNI, serial: next.serial });
    expect(tls.fingerprintSha256).toBe(next.fingerprintSha256);
    expect(tls.chainLength).toBe(2);
    expect(statSync(nginx.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(nginx.certPath).mode & 0o777).toBe(0o644);
    expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: true });
    current = next;
  });

  it('deploying the same bytes twice is a no-op: no write, no validate, no reload', async () => {
    const reloadsBefore = nginx.reloads();
    const mtime = statSync(nginx.certPath).mtimeMs;
    const result = await target.deploy(current);
    expect(result.changed).toBe(false);
    expect(nginx.reloads()).toBe(reloadsBefore);
    expect(statSync(nginx.certPath).mtimeMs).toBe(mtime);
  });

  it('keeps serving the old certificate and restores its files when nginx -t fails', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = nginx.reloads();
    nginx.breakConfig(true);
    try {
      const error = await target.deploy(next).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /\] deploy of .* failed during validate: validate_command .* exited with 1: .*this_is_not_a_directive/,
      );
      expect((error as Error).message).toContain('the previous files were restored');
    } finally {
      nginx.breakConfig(false);
    }
    expect(files()).toEqual(before);
    expect(nginx.reloads()).toBe(reloadsBefore);
    await expectStillServing(current);
  });

  it('puts the old files back and reloads them when the reload fails after nginx loaded the new ones', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = nginx.reloads();
    nginx.failNextReload();
    const error = await target.deploy(next).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed during reload');
    expect((error as Error).message).toContain('reload failed (armed by the test)');
    expect(files()).toEqual(before);
    // The failed reload, then the one that loads the restored files.
    expect(nginx.reloads()).toBe(reloadsBefore + 2);
    await expectStillServing(current);
    expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: false });
  });

  it('refuses a key that does not belong to the certificate before touching anything', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const error = await target.deploy({ ...next, keyPem: current.keyPem }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('does not belong to the certificate');
    expect(files()).toEqual(before);
  });

  it('testConnection runs nginx -t', async () => {
    expect((await target.testConnection!()).detail).toContain('-t -q');
    nginx.breakConfig(true);
    try {
      await expect(target.testConnection!()).rejects.toThrow(/this_is_not_a_directive/);
    } finally {
      nginx.breakConfig(false);
    }
  });

  it('post_deploy_verify: passes when nginx serves the new certificate, rolls back when the endpoint does not', async () => {
    const withVerify = (endpoint: string) =>
      createNginxTarget(
        nginxConfigSchema.parse({
          cert_path: nginx.certPath,
          chain_path: nginx.chainPath,
          key_path: nginx.keyPath,
          validate_command: nginx.validateCommand,
          reload_command: nginx.reloadCommand,
          post_deploy_verify: { endpoint, server_name: SNI, timeout_seconds: 2 },
        }),
        ctx,
      );
    const next = await createTestDeployRequest({ commonName: SNI });
    expect((await withVerify(`127.0.0.1:${nginx.port}`).deploy(next)).changed).toBe(true);
    expect((await served()).serial).toBe(next.serial);
    current = next;

    const before = files();
    const other = await createTestDeployRequest({ commonName: SNI });
    const silent = await freeLoopbackPort();
    const error = await withVerify(`127.0.0.1:${silent}`)
      .deploy(other)
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/failed during verify/);
    expect(files()).toEqual(before);
    await expectStillServing(current);
  }, 30_000);
});
