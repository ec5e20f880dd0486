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
import { apacheConfigSchema } from './apache-config.js';
import { createApacheTarget } from './apache-target.js';
import { type ApacheServer, startApache } from './test-support/apache-server.js';

let apache: ApacheServer;
let ctx: TestContext;
let target: TargetInstance;
let current: DeployRequest;
const SNI = 'site.example.test';

beforeAll(async () => {
  current = await createTestDeployRequest({ commonName: SNI });
  apache = await startApache(current);
  ctx = await createTestContext();
  const config = apacheConfigSchema.parse({
    cert_path: apache.certPath,
    chain_path: apache.chainPath,
    key_path: apache.keyPath,
    validate_command: apache.validateCommand,
    reload_command: apache.reloadCommand,
  });
  target = createApacheTarget(config, ctx);
}, 30_000);
afterAll(async () => {
  await apache?.stop();
  await ctx?.cleanup();
});

const files = () => ({
  cert: readFileSync(apache.certPath, 'utf8'),
  chain: readFileSync(apache.chainPath, 'utf8'),
  key: readFileSync(apache.keyPath, 'utf8'),
});
const served = () => readServedCertificate({ port: apache.port, servername: SNI });

/** The old certificate is served once apache has handled every reload so far, and stays served. */
async function expectStillServing(request: DeployRequest): Promise<void> {
  await apache.waitForReloads(apache.reloads());
  await waitForServedSerial({ port: apache.port, servername: SNI, serial: request.serial });
  expect((await served()).serial).toBe(request.serial);
}

describe('target-apache against a real Apache httpd', () => {
  it('deploys a certificate that Apache then serves (serial read back with openssl s_client), with its chain', async () => {
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = apache.reloads();
    const result = await target.deploy(next);
    expect(result.changed).toBe(true);
    expect(apache.reloads()).toBe(reloadsBefore + 1);
    const tls = await waitForServedSerial({ port: apache.port, servername: SNI, serial: next.serial });
    expect(tls.fingerprintSha256).toBe(next.fingerprintSha256);
    expect(tls.chainLength).toBe(2);
    // chain_path is set, so cert_path holds the leaf alone and the chain comes from SSLCertificateChainFile.
    expect(files().cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(files().chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(statSync(apache.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(apache.certPath).mode & 0o777).toBe(0o644);
    expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: true });
    current = next;
  });

  it('deploying the same bytes twice is a no-op: no write, no validate, no reload', async () => {
    const reloadsBefore = apache.reloads();
    const mtime = statSync(apache.certPath).mtimeMs;
    const result = await target.deploy(current);
    expect(result.changed).toBe(false);
    expect(apache.reloads()).toBe(reloadsBefore);
    expect(statSync(apache.certPath).mtimeMs).toBe(mtime);
  });

  it('keeps serving the old certificate and restores its files when apache2 -t fails', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = apache.reloads();
    apache.breakConfig(true);
    try {
      const error = await target.deploy(next).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /\] deploy of .* failed during validate: validate_command .* exited with 1: .*ThisIsNotADirective/,
      );
      expect((error as Error).message).toContain('the previous files were restored');
    } finally {
      apache.breakConfig(false);
    }
    expect(files()).toEqual(before);
    expect(apache.reloads()).toBe(reloadsBefore);
    await expectStillServing(current);
  });

  it('puts the old files back and reloads them when the reload fails after Apache loaded the new ones', async () => {
    const before = files();
    const next = await createTestDeployRequest({ commonName: SNI });
    const reloadsBefore = apache.reloads();
    apache.failNextReload();
    const error = await target.deploy(next).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('failed during reload');
    expect((error as Error).message).toContain('graceful restart failed (armed by the test)');
    expect(files()).toEqual(before);
    // The failed reload, then the one that loads the restored files.
    expect(apache.reloads()).toBe(reloadsBefore + 2);
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

  it('testConnection runs apache2 -t', async () => {
    expect((await target.testConnection!()).detail).toContain('apache2 -t');
    apache.breakConfig(true);
    try {
      await expect(target.testConnection!()).rejects.toThrow(/ThisIsNotADirective/);
    } finally {
      apache.breakConfig(false);
    }
  });
});
