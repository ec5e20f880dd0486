import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  freeLoopbackPort,
  readServedCertificate,
  type TempDir,
  type TestContext,
  type WrappedCommand,
  waitForServedSerial,
  wrapCommand,
} from '@certctl/connector-testkit';
import { ConnectorError, type DeployRequest, parseConfig } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postfixConfigSchema } from '../postfix-config.js';
import { createPostfixTarget, type PostfixTarget } from '../postfix-target.js';
import { instanceDirectories, run, uidOf, writeInitialCertificate } from './mail-fixtures.js';

export interface MailServer {
  port: number;
  validateCommand: string;
  reloadCommand: string;
  breakConfig(): void;
  repairConfig(): void;
  stop(): Promise<void>;
}

export interface MailServerSuiteOptions {
  mode: 'postfix' | 'dovecot';
  starttls: 'smtp' | 'imap';
  /** User that owns the files before the first deploy (ownership must survive deploys). */
  fileOwner: string;
  start(root: string, tls: { certPath: string; keyPath: string }): Promise<MailServer>;
}

/** The real-server proof for one mode: served serial, rollback on validation and reload failures, no-op on same bytes. */
export function describeMailServer(options: MailServerSuiteOptions): void {
  describe(`target-postfix (mode ${options.mode}) against a real ${options.mode} on loopback`, () => {
    let dir: TempDir;
    let server: MailServer;
    let reload: WrappedCommand;
    let ctx: TestContext;
    let target: PostfixTarget;
    let certPath: string;
    let keyPath: string;
    let current: DeployRequest;
    const served = async (serial: string) =>
      (await waitForServedSerial({ port: server.port, starttls: options.starttls, serial })).serial;
    const files = async () => ({ cert: await readFile(certPath), key: await readFile(keyPath) });

    beforeAll(async () => {
      dir = await createTempDir(`certctl-${options.mode}-`);
      const { certs } = instanceDirectories(dir.path);
      certPath = join(certs, 'cert.pem');
      keyPath = join(certs, 'key.pem');
      current = await writeInitialCertificate(certPath, keyPath, `initial.${options.mode}.example.test`);
      const owner = uidOf(options.fileOwner);
      run('chown', [String(owner), certPath, keyPath]);
      server = await options.start(dir.path, { certPath, keyPath });
      reload = wrapCommand(dir.path, 'reload', server.reloadCommand);
      ctx = await createTestContext();
      const config = parseConfig(postfixConfigSchema, {
        mode: options.mode,
        cert_path: certPath,
        key_path: keyPath,
        validate_command: server.validateCommand,
        reload_command: reload.command,
        command_timeout_seconds: 20,
        post_deploy_verify: { endpoint: `127.0.0.1:${server.port}`, timeout_seconds: 15 },
      });
      target = createPostfixTarget(config, ctx);
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      await ctx?.cleanup();
      await dir?.remove();
    });

    it('serves the initial certificate before any deploy', async () => {
      expect(await served(current.serial)).toBe(current.serial);
    });

    it(`deploys a certificate that ${options.mode} then serves over STARTTLS, keeping modes and owner`, async () => {
      const request = await createTestDeployRequest({ commonName: `new.${options.mode}.example.test` });
      const result = await target.deploy(request);
      expect(result.changed).toBe(true);
      expect(await served(request.serial)).toBe(request.serial);
      const shown = await readServedCertificate({ port: server.port, starttls: options.starttls });
      expect(shown.fingerprintSha256).toBe(request.fingerprintSha256);
      expect(statSync(certPath).mode & 0o777).toBe(0o644);
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
      expect(statSync(certPath).uid).toBe(uidOf(options.fileOwner));
      expect(statSync(keyPath).uid).toBe(uidOf(options.fileOwner));
      // The certificate file holds the leaf then the chain; openssl verifies it against the chain.
      expect(run('openssl', ['verify', '-CAfile', certPath, certPath])).toContain(': OK');
      expect((await target.validateDeployment({ serial: request.serial })).valid).toBe(true);
      current = request;
    });

    it('deploying the same bytes twice is a no-op: no write, no reload', async () => {
      const before = reload.runs();
      const mtime = statSync(certPath).mtimeMs;
      const result = await target.deploy(current);
      expect(result.changed).toBe(false);
      expect(reload.runs()).toBe(before);
      expect(statSync(certPath).mtimeMs).toBe(mtime);
      expect(await served(current.serial)).toBe(current.serial);
    });

    it('keeps serving the old certificate and restores the old files when validation fails (broken config)', async () => {
      const before = await files();
      const reloadsBefore = reload.runs();
      const request = await createTestDeployRequest({ commonName: `broken.${options.mode}.example.test` });
      server.breakConfig();
      try {
        const error = await target.deploy(request).catch((e: unknown) => e);
        expect(ConnectorError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(/failed during validate: .*validate_command/);
        expect((error as Error).message).toContain('the previous files were restored');
      } finally {
        server.repairConfig();
      }
      expect(await files()).toEqual(before);
      expect(reload.runs(), 'a failed validation must not reload').toBe(reloadsBefore);
      expect((await readServedCertificate({ port: server.port, starttls: options.starttls })).serial).toBe(
        current.serial,
      );
      expect((await target.validateDeployment({ serial: request.serial })).valid).toBe(false);
    });

    it('restores the old files and reloads again when the post-deploy TLS check fails', async () => {
      const before = await files();
      // The check points at a port nothing listens on, as if the daemon had not come back after the reload.
      const silentPort = await freeLoopbackPort();
      const checked = createPostfixTarget(
        parseConfig(postfixConfigSchema, {
          mode: options.mode,
          cert_path: certPath,
          key_path: keyPath,
          validate_command: server.validateCommand,
          reload_command: reload.command,
          post_deploy_verify: { endpoint: `127.0.0.1:${silentPort}`, timeout_seconds: 2 },
        }),
        ctx,
      );
      const request = await createTestDeployRequest({ commonName: `unverified.${options.mode}.example.test` });
      const reloads = reload.runs();
      const error = await checked.deploy(request).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /failed during verify: .*127\.0\.0\.1:\d+ does not present the deployed certificate.*cannot connect.*the previous files were restored/,
      );
      expect(await files()).toEqual(before);
      expect(reload.runs(), 'one reload for the deploy, one after restoring').toBe(reloads + 2);
      expect(await served(current.serial)).toBe(current.serial);
    });

    it('keeps serving the old certificate and restores the old files when the reload fails', async () => {
      const before = await files();
      const request = await createTestDeployRequest({ commonName: `noreload.${options.mode}.example.test` });
      reload.failNext();
      const error = await target.deploy(request).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/failed during reload: .*simulated reload failure/);
      expect(await files()).toEqual(before);
      expect(await served(current.serial)).toBe(current.serial);
      // And a later deploy goes through.
      const next = await createTestDeployRequest({ commonName: `after.${options.mode}.example.test` });
      expect((await target.deploy(next)).changed).toBe(true);
      expect(await served(next.serial)).toBe(next.serial);
      current = next;
    });
  });
}
