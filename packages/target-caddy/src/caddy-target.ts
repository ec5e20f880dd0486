import { constants as fsConstants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import {
  checkDeployedCertificate,
  type DeployFile,
  deployFiles,
  describeLeaf,
  prepareTlsMaterial,
  type TlsMaterial,
  verifyServedCertificate,
} from '@certctl/connector-utils';
import { type ConnectorContext, ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import { createCaddyAdminClient } from './caddy-admin-client.js';
import { deployThroughAdminApi, loadPemEntries, validateThroughAdminApi } from './caddy-api-deploy.js';
import {
  type CaddyFileSettings,
  type CaddyTargetConfig,
  resolveFileSettings,
  resolveVerifySettings,
} from './caddy-config.js';
import { CONNECTOR } from './connector-name.js';

export type CaddyTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection'>> & TargetInstance;

function filesFor(settings: CaddyFileSettings, material: TlsMaterial): DeployFile[] {
  return [
    { path: settings.certPath, content: material.fullchainPem, kind: 'certificate' },
    { path: settings.keyPath, content: material.keyPem, kind: 'private-key' },
  ];
}

async function holdsBytes(path: string, content: string | Uint8Array): Promise<boolean> {
  try {
    return (await readFile(path)).equals(Buffer.from(content));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Caddy through its admin API (api mode) or through certificate files and a reload command (file mode). */
export function createCaddyTarget(config: CaddyTargetConfig, ctx: ConnectorContext): CaddyTarget {
  const logger = ctx.logger.child({ connector: CONNECTOR, mode: config.mode });
  const client = createCaddyAdminClient(config.admin_api, ctx, config.request_timeout_seconds * 1000);
  const files = config.mode === 'file' ? resolveFileSettings(config) : undefined;
  const tag = config.certificate_tag;
  const verifySettings = resolveVerifySettings(config);
  // Checks the fingerprint of what we deploy, not the one the request claims.
  const verifyFor = (request: DeployRequest, material: TlsMaterial) =>
    verifySettings
      ? () =>
          verifyServedCertificate({
            ...verifySettings,
            fingerprintSha256: describeLeaf(material.leafPem)!.fingerprintSha256,
            clock: ctx.clock,
            signal: request.signal ?? ctx.signal,
            connector: CONNECTOR,
          })
      : undefined;
  // One deploy at a time per instance: a read-modify-write of Caddy's config must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function deployFileMode(settings: CaddyFileSettings, request: DeployRequest, material: TlsMaterial) {
    const signal = request.signal ?? ctx.signal;
    const result = await deployFiles({
      files: filesFor(settings, material),
      validate: settings.validate ? () => settings.validate!.run(ctx.exec, signal) : undefined,
      reload: () => settings.reload.run(ctx.exec, signal),
      verify: verifyFor(request, material),
      backups: settings.backups,
      signal,
      logger,
      connector: CONNECTOR,
      clock: ctx.clock,
    });
    if (!result.changed) {
      return {
        changed: false,
        detail: `${result.files.join(', ')} already hold serial ${request.serial}; nothing written, Caddy not reloaded`,
      };
    }
    const steps = [`wrote ${result.files.join(', ')}`];
    if (settings.validate) steps.push(`"${settings.validate.text}" passed`);
    steps.push(`"${settings.reload.text}" reloaded Caddy`);
    if (verifySettings) steps.push(`${verifySettings.host}:${verifySettings.port} presents it`);
    return { changed: true, detail: `${steps.join('; ')} (serial ${request.serial})` };
  }

  return {
    async deploy(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      return serialized(() =>
        files
          ? deployFileMode(files, request, material)
          : deployThroughAdminApi({
              client,
              tag,
              material,
              serial: request.serial,
              signal: request.signal ?? ctx.signal,
              logger,
              verify: verifyFor(request, material),
            }),
      );
    },

    async validateDeployment(request) {
      if (!files) return validateThroughAdminApi(client, tag, { ...request, signal: request.signal ?? ctx.signal });
      return checkDeployedCertificate(files.certPath, request);
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      if (!files) {
        const ours = loadPemEntries(await client.getConfig('/config/', request.signal ?? ctx.signal)).filter(
          (e) => Array.isArray(e.tags) && e.tags.includes(tag),
        );
        if (ours.length === 1 && ours[0]!.certificate === material.fullchainPem && ours[0]!.key === material.keyPem) {
          return { steps: [`keep Caddy's load_pem entry tagged ${tag}: it already holds these bytes`] };
        }
        return {
          steps: [
            `GET ${config.admin_api}/config/`,
            `${ours.length > 0 ? 'replace' : 'add'} the load_pem entry tagged ${tag} (apps.tls.certificates.load_pem)`,
            `POST ${config.admin_api}/load (Caddy keeps the running config if it rejects the new one)`,
            'read the config back; on a mismatch load the previous config again',
          ],
        };
      }
      const steps: string[] = [];
      for (const file of filesFor(files, material)) {
        steps.push(
          (await holdsBytes(file.path, file.content))
            ? `keep ${file.path} (already these bytes)`
            : `write ${file.path} atomically (temp file, rename)`,
        );
      }
      if (steps.every((s) => s.startsWith('keep')))
        return { steps: [...steps, 'skip validation and reload: nothing changes'] };
      if (files.validate) steps.push(`run validate_command "${files.validate.text}"`);
      steps.push(
        `run reload_command "${files.reload.text}"`,
        'on any failure restore the previous files and reload again',
      );
      return { steps };
    },

    async testConnection(options) {
      const signal = options?.signal ?? ctx.signal;
      if (!files) {
        const running = await client.getConfig('/config/', signal);
        const count = loadPemEntries(running).length;
        return {
          ok: true,
          detail: `Caddy's admin API at ${config.admin_api} answered; ${count} load_pem certificate(s) configured`,
        };
      }
      const directory = config.cert_dir;
      try {
        await access(directory, fsConstants.W_OK | fsConstants.X_OK);
      } catch (error) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `cannot write to ${directory} (${(error as NodeJS.ErrnoException).code}); create cert_dir or run the agent as a user that may write there`,
          cause: error,
        });
      }
      if (files.validate) await files.validate.run(ctx.exec, signal);
      return { ok: true, detail: `${directory} writable${files.validate ? `; "${files.validate.text}" passed` : ''}` };
    },
  };
}
