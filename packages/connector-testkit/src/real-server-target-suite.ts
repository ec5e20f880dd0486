import { readFileSync, statSync } from 'node:fs';
import {
  type ConnectorManifest,
  ConnectorError,
  type DeployRequest,
  parseConfig,
  type TargetInstance,
} from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RealTargetServer } from './real-server.js';
import { freeLoopbackPort, readServedCertificate, waitForServedSerial } from './served-certificate.js';
import { createTestContext, type TestContext } from './test-context.js';
import { createTestDeployRequest } from './test-pki.js';

export interface RealServerTargetOptions<Server extends RealTargetServer> {
  /** The server software, for titles: `target-nginx against a real nginx`. */
  server: string;
  /** Starts the server presenting `initial` for `servername`. */
  start(initial: DeployRequest): Promise<Server>;
  /** The target's config (wire form) for this server: its file paths, validate and reload commands. */
  config(server: Server): Record<string, unknown>;
  /** The SNI name the server presents the certificate for; default `site.example.test`. */
  servername?: string;
  /** The mode each file must have after a deploy, by its name in `server.files`. */
  fileModes: { [File in keyof Server['files']]?: number };
  /** Checks of the target's own file layout, run after the first deploy (e.g. the order of PEM blocks). */
  checkDeployedFiles?(server: Server, request: DeployRequest): void | Promise<void>;
  /** `testConnection` must run the validate command: its detail contains `detailContains`. `false` for a target without it. */
  testConnection: { detailContains: string } | false;
  /**
   * Whether the target takes the `post_deploy_verify` block of @certctl/connector-utils; `true` adds a test that a
   * deploy passes when the server presents the new certificate and rolls back when the endpoint does not answer.
   */
  postDeployVerify: boolean;
}

/**
 * Proves a file-and-command target against a real server on loopback (nginx, Apache, HAProxy, yours):
 * the served serial read back with `openssl s_client`, no-op on the same bytes, restore and keep serving
 * when the validate command or the reload fails, refusal of a mismatched key, testConnection, and
 * post_deploy_verify where the target has it. The target is made by the manifest from `config(server)`.
 * Error wording is that of `deployFilesWithCommands` from @certctl/connector-utils.
 */
export function testTargetOnRealServer<Server extends RealTargetServer>(
  manifest: ConnectorManifest<'target'>,
  options: RealServerTargetOptions<Server>,
): void {
  const label = `${manifest.kind}-${manifest.id}`;
  const sni = options.servername ?? 'site.example.test';
  if (manifest.capabilities.testConnection && options.testConnection === false) {
    throw new Error(`${label} declares capabilities.testConnection: pass testConnection: { detailContains }`);
  }
  let server: Server;
  let ctx: TestContext;
  let target: TargetInstance;
  let current: DeployRequest;

  const createTarget = async (config: Record<string, unknown>): Promise<TargetInstance> =>
    manifest.create(parseConfig(manifest.configSchema, config, label) as never, ctx);
  const files = () =>
    Object.fromEntries(Object.entries<string>(server.files).map(([name, path]) => [name, readFileSync(path, 'utf8')]));
  const mtimes = () =>
    Object.fromEntries(Object.entries<string>(server.files).map(([name, path]) => [name, statSync(path).mtimeMs]));
  const served = () => readServedCertificate({ port: server.port, servername: sni });
  const nextRequest = () => createTestDeployRequest({ commonName: sni });
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  /** The old certificate is served once the server has handled every reload so far, and stays served. */
  async function expectStillServing(request: DeployRequest): Promise<void> {
    await server.waitForReloads(server.reloads());
    await waitForServedSerial({ port: server.port, servername: sni, serial: request.serial });
    expect((await served()).serial).toBe(request.serial);
  }

  describe(`${label} against a real ${options.server}`, () => {
    beforeAll(async () => {
      // Reloads of real servers can take many seconds on a machine running several suites at once.
      vi.setConfig({ testTimeout: 90_000 });
      current = await nextRequest();
      server = await options.start(current);
      ctx = await createTestContext();
      target = await createTarget(options.config(server));
    }, 30_000);
    afterAll(async () => {
      await server?.stop();
      await ctx?.cleanup();
    });

    it(`deploys a certificate that ${options.server} then serves (serial read back with openssl s_client), with its chain`, async () => {
      const next = await nextRequest();
      const reloadsBefore = server.reloads();
      const result = await target.deploy(next);
      expect(result.changed).toBe(true);
      expect(server.reloads()).toBe(reloadsBefore + 1);
      const tls = await waitForServedSerial({ port: server.port, servername: sni, serial: next.serial });
      expect(tls.fingerprintSha256).toBe(next.fingerprintSha256);
      expect(tls.chainLength).toBe(1 + (next.chainPem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length);
      for (const [name, mode] of Object.entries<number | undefined>(options.fileModes)) {
        const path = (server.files as Record<string, string>)[name];
        if (path === undefined) throw new Error(`fileModes names ${name}, which is not in server.files`);
        expect(statSync(path).mode & 0o777, `mode of ${name}`).toBe(mode);
      }
      await options.checkDeployedFiles?.(server, next);
      expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: true });
      current = next;
    });

    it('deploying the same bytes twice is a no-op: no write, no validate, no reload', async () => {
      const reloadsBefore = server.reloads();
      const before = mtimes();
      const result = await target.deploy(current);
      expect(result.changed).toBe(false);
      expect(server.reloads()).toBe(reloadsBefore);
      expect(mtimes()).toEqual(before);
    });

    it('keeps serving the old certificate and restores its files when the validate command fails', async () => {
      const before = files();
      const next = await nextRequest();
      const reloadsBefore = server.reloads();
      server.breakConfig(true);
      try {
        const error = await errorOf(target.deploy(next));
        expect(ConnectorError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(
          new RegExp(
            String.raw`\] deploy of .* failed during validate: validate_command .* exited with 1: .*` +
              server.brokenConfigOutput.source,
          ),
        );
        expect((error as Error).message).toContain('the previous files were restored');
      } finally {
        server.breakConfig(false);
      }
      expect(files()).toEqual(before);
      expect(server.reloads()).toBe(reloadsBefore);
      await expectStillServing(current);
    });

    it(`puts the old files back and reloads them when the reload fails after ${options.server} loaded the new ones`, async () => {
      const before = files();
      const next = await nextRequest();
      const reloadsBefore = server.reloads();
      server.failNextReload();
      const error = await errorOf(target.deploy(next));
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('failed during reload');
      expect((error as Error).message).toContain(server.failedReloadOutput);
      expect(files()).toEqual(before);
      // The failed reload, then the one that loads the restored files.
      expect(server.reloads()).toBe(reloadsBefore + 2);
      await expectStillServing(current);
      expect(await target.validateDeployment({ serial: next.serial })).toMatchObject({ valid: false });
    });

    it('refuses a key that does not belong to the certificate before touching anything', async () => {
      const before = files();
      const next = await nextRequest();
      const error = await errorOf(target.deploy({ ...next, keyPem: current.keyPem }));
      expect((error as Error).message).toContain('does not belong to the certificate');
      expect(files()).toEqual(before);
    });

    const testConnection = options.testConnection;
    if (testConnection) {
      it(`testConnection runs the validate command (${testConnection.detailContains}) and reports its failure`, async () => {
        expect((await target.testConnection!()).detail).toContain(testConnection.detailContains);
        server.breakConfig(true);
        try {
          await expect(target.testConnection!()).rejects.toThrow(server.brokenConfigOutput);
        } finally {
          server.breakConfig(false);
        }
      });
    }

    if (options.postDeployVerify) {
      it(`post_deploy_verify: passes when ${options.server} serves the new certificate, rolls back when the endpoint does not`, async () => {
        const withVerify = (endpoint: string) =>
          createTarget({
            ...options.config(server),
            post_deploy_verify: { endpoint, server_name: sni, timeout_seconds: 2 },
          });
        const next = await nextRequest();
        expect((await (await withVerify(`127.0.0.1:${server.port}`)).deploy(next)).changed).toBe(true);
        // The verify saw the new certificate, but a server that rotates workers (nginx) may hand the
        // next connection to an old one until it has handled the reload.
        await server.waitForReloads(server.reloads());
        expect((await served()).serial).toBe(next.serial);
        current = next;

        const before = files();
        const other = await nextRequest();
        const silent = await freeLoopbackPort();
        const error = await errorOf((await withVerify(`127.0.0.1:${silent}`)).deploy(other));
        expect(ConnectorError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(/failed during verify/);
        expect(files()).toEqual(before);
        await expectStillServing(current);
      }, 30_000);
    }
  });
}
