import {
  createFileTarget,
  createSerialQueue,
  describeLeaf,
  prepareTlsMaterial,
  type TlsMaterial,
  verifyServedCertificate,
} from '@certctl/connector-utils';
import type { ConnectorContext, DeployRequest, TargetInstance } from '@certctl/core';
import { createCaddyAdminClient } from './caddy-admin-client.js';
import { deployThroughAdminApi, loadPemEntries, validateThroughAdminApi } from './caddy-api-deploy.js';
import { type CaddyTargetConfig, resolveFileSettings, resolveVerifySettings } from './caddy-config.js';
import { CONNECTOR } from './connector-name.js';

export type CaddyTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection'>> & TargetInstance;

/** Caddy through its admin API (api mode) or through certificate files and a reload command (file mode). */
export function createCaddyTarget(config: CaddyTargetConfig, ctx: ConnectorContext): CaddyTarget {
  return config.mode === 'file' ? createCaddyFileTarget(config, ctx) : createCaddyApiTarget(config, ctx);
}

/** File mode: fullchain and key into cert_dir, validate_command, reload_command, rollback on any failure. */
function createCaddyFileTarget(config: CaddyTargetConfig, ctx: ConnectorContext): CaddyTarget {
  const settings = resolveFileSettings(config);
  return createFileTarget({
    connector: CONNECTOR,
    ctx: {
      exec: ctx.exec,
      clock: ctx.clock,
      signal: ctx.signal,
      logger: ctx.logger.child({ connector: CONNECTOR, mode: config.mode }),
    },
    service: 'Caddy',
    files: (material) => [
      { path: settings.certPath, content: material.fullchainPem, kind: 'certificate' },
      { path: settings.keyPath, content: material.keyPem, kind: 'private-key' },
    ],
    certificatePath: settings.certPath,
    validateCommand: settings.validate,
    reloadCommand: settings.reload,
    verify: resolveVerifySettings(config),
    backups: settings.backups,
  });
}

/** Api mode: the certificate and key as Caddy's load_pem entry tagged certificate_tag, through POST /load. */
function createCaddyApiTarget(config: CaddyTargetConfig, ctx: ConnectorContext): CaddyTarget {
  const logger = ctx.logger.child({ connector: CONNECTOR, mode: config.mode });
  const client = createCaddyAdminClient(config.admin_api, ctx, config.request_timeout_seconds * 1000);
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
  const serialized = createSerialQueue();

  return {
    async deploy(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      return serialized(() =>
        deployThroughAdminApi({
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
      return validateThroughAdminApi(client, tag, { ...request, signal: request.signal ?? ctx.signal });
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
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
    },

    async testConnection(options) {
      const running = await client.getConfig('/config/', options?.signal ?? ctx.signal);
      const count = loadPemEntries(running).length;
      return {
        ok: true,
        detail: `Caddy's admin API at ${config.admin_api} answered; ${count} load_pem certificate(s) configured`,
      };
    },
  };
}
