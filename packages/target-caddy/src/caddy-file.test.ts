import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  readServedCertificate,
  type TempDir,
  type TestContext,
  type WrappedCommand,
  waitForServedSerial,
  wrapCommand,
} from '@certctl/connector-testkit';
import { ConnectorError, type DeployRequest, parseConfig } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyConfigSchema } from './caddy-config.js';
import { type CaddyTarget, createCaddyTarget } from './caddy-target.js';
import { type CaddyInstance, startCaddy } from './test-support/caddy-instance.js';

describe('target-caddy file mode against a real Caddy on loopback', () => {
  let dir: TempDir;
  let caddy: CaddyInstance;
  let reload: WrappedCommand;
  let ctx: TestContext;
  let target: CaddyTarget;
  let current: DeployRequest;
  const served = async (serial: string) => (await waitForServedSerial({ port: caddy.httpsPort, serial })).serial;
  const certPath = () => join(caddy.certDir, 'site.crt');
  const keyPath = () => join(caddy.certDir, 'site.key');
  const files = async () => ({ cert: await readFile(certPath()), key: await readFile(keyPath()) });

  beforeAll(async () => {
    dir = await createTempDir('certctl-caddy-file-');
    caddy = await startCaddy(dir.path, 'file');
    current = caddy.initial;
    reload = wrapCommand(dir.path, 'reload', caddy.reloadCommand);
    ctx = await createTestContext();
    const config = parseConfig(caddyConfigSchema, {
      mode: 'file',
      cert_dir: caddy.certDir,
      cert_file: 'site.crt',
      key_file: 'site.key',
      validate_command: caddy.validateCommand,
      reload_command: reload.command,
      post_deploy_verify: { endpoint: `127.0.0.1:${caddy.httpsPort}` },
    });
    target = createCaddyTarget(config, ctx);
  }, 60_000);

  afterAll(async () => {
    await caddy?.stop();
    await ctx?.cleanup();
    await dir?.remove();
  });

  it('serves the initial certificate before any deploy', async () => {
    expect(await served(current.serial)).toBe(current.serial);
  });

  it('writes the files, validates with caddy validate, reloads, and Caddy serves the new serial', async () => {
    const request = await createTestDeployRequest({ commonName: 'file.caddy.example.test' });
    const result = await target.deploy(request);
    expect(result.changed).toBe(true);
    expect(result.detail).toContain('caddy validate');
    expect(result.detail).toContain(`127.0.0.1:${caddy.httpsPort} presents it`);
    expect(await served(request.serial)).toBe(request.serial);
    expect(statSync(certPath()).mode & 0o777).toBe(0o644);
    expect(statSync(keyPath()).mode & 0o777).toBe(0o600);
    expect((await target.validateDeployment({ serial: request.serial })).valid).toBe(true);
    current = request;
  });

  it('deploying the same bytes twice is a no-op: no write, no reload', async () => {
    const before = reload.runs();
    const mtime = statSync(certPath()).mtimeMs;
    expect((await target.deploy(current)).changed).toBe(false);
    expect(reload.runs()).toBe(before);
    expect(statSync(certPath()).mtimeMs).toBe(mtime);
  });

  it('restores the old files and keeps serving the old certificate when caddy validate fails', async () => {
    const before = await files();
    const reloads = reload.runs();
    const request = await createTestDeployRequest({ commonName: 'invalid.caddy.example.test' });
    caddy.breakConfig();
    try {
      const error = await target.deploy(request).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/failed during validate: .*validate_command "caddy validate/);
    } finally {
      caddy.repairConfig();
    }
    expect(await files()).toEqual(before);
    expect(reload.runs()).toBe(reloads);
    expect((await readServedCertificate({ port: caddy.httpsPort })).serial).toBe(current.serial);
  });

  it('restores the old files and keeps serving the old certificate when the reload fails', async () => {
    const before = await files();
    const request = await createTestDeployRequest({ commonName: 'noreload.caddy.example.test' });
    reload.failNext();
    const error = await target.deploy(request).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /failed during reload: .*simulated reload failure.*the previous files were restored/,
    );
    expect(await files()).toEqual(before);
    expect(await served(current.serial)).toBe(current.serial);
  });
});
