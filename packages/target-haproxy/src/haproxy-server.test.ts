import { readFileSync, statSync } from 'node:fs';
import {
  createTestContext,
  createTestDeployRequest,
  readServedCertificate,
  type TestContext,
  waitForServedSerial,
} from '@certctl/connector-testkit';
import { ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyConfigSchema } from './haproxy-config.js';
import { createHaproxyTarget } from './haproxy-target.js';
import { type HaproxyServer, startHaproxy } from './test-support/haproxy-server.js';

let haproxy: HaproxyServer;
let ctx: TestContext;
let target: TargetInstance;
let current: DeployRequest;
const SNI = 'site.example.test';

beforeAll(async () => {
  current = await createTestDeployRequest({ commonName: SNI });
  haproxy = await startHaproxy(current);
  ctx = await createTestContext();
  const config = haproxyConfigSchema.parse({
    pem_path: haproxy.pemPath,
    validate_command: haproxy.validateCommand,
    reload_command: haproxy.reloadCommand,
  });
  target = createHaproxyTarget(config, ctx);
}, 30_000);
afterAll(async () => {
  await haproxy?.stop();
  await ctx?.cleanup();
});

const files = () => readFileSync(haproxy.pemPath, 'utf8');
const served = () => readServedCertificate({ port: haproxy.port, servername: SNI });

/** The old certificate is served once haproxy has handled every reload so far, and stays served. */
async function expectStillServing(request: DeployRequest): Promise<void> {
  await haproxy.waitForReloads(haproxy.reloads());
  await waitForServedSerial({ port: haproxy.port, servername: SNI, serial: request.serial });
  expect((await served()).serial).toBe(request.serial);
}

describe('target-haproxy against a real HAProxy', () => {
  it('deploys a certificate that HAProxy then serves (serial read back with openssl s_client), with its chain', async () => {
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = haproxy.reloads();
    const result = await target.deploy(next);
    expect(result.changed).toBe(true);
    expect(haproxy.reloads()).toBe(reloadsBefore + 1);
    const tls = await waitForServedSerial({ port: haproxy.port, servername: SNI, serial: next.serial });
    expect(tls.fingerprintSha256).toBe(next.fingerprintSha256);
    expect(tls.chainLength).toBe(2);
    expect(statSync(haproxy.pemPath).mode & 0o777).toBe(0o600);
    // Certificate, chain, then key, in one file.
    expect(files().match(/-----BEGIN [A-Z ]+-----/g)).toEqual([
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN PRIVATE KEY-----',
    ]);
    expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: true });
    current = next;
  });

  it('deploying the same bytes twice is a no-op: no write, no validate, no reload', async () => {
    const reloadsBefore = haproxy.reloads();
    const mtime = statSync(haproxy.pemPath).mtimeMs;
    const result = await target.deploy(current);
    expect(result.changed).toBe(false);
    expect(haproxy.reloads()).toBe(reloadsBefore);
    expect(statSync(haproxy.pemPath).mtimeMs).toBe(mtime);
  });

  it('keeps serving the old certificate and restores its files when haproxy -c fails', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = haproxy.reloads();
    haproxy.breakConfig(true);
    try {
      const error = await target.deploy(next).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /\] deploy of .* failed during validate: validate_command .* exited with 1: .*this-is-not-a-keyword/,
      );
      expect((error as Error).message).toContain('the previous files were restored');
    } finally {
      haproxy.breakConfig(false);
    }
    expect(files()).toEqual(before);
    expect(haproxy.reloads()).toBe(reloadsBefore);
    await expectStillServing(current);
  });

  it('puts the old files back and reloads them when the reload fails after HAProxy loaded the new ones', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = haproxy.reloads();
    haproxy.failNextReload();
    const error = await target.deploy(next).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed during reload');
    expect((error as Error).message).toContain('reload failed (armed by the test)');
    expect(files()).toEqual(before);
    // The failed reload, then the one that loads the restored files.
    expect(haproxy.reloads()).toBe(reloadsBefore + 2);
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

  it('testConnection runs haproxy -c', async () => {
    expect((await target.testConnection!()).detail).toContain('haproxy -c');
    haproxy.breakConfig(true);
    try {
      await expect(target.testConnection!()).rejects.toThrow(/this-is-not-a-keyword/);
    } finally {
      haproxy.breakConfig(false);
    }
  });
});
