import { randomBytes } from 'node:crypto';
import {
  createSerialQueue,
  deployFailedError,
  describeLeaf,
  isSameCertificate,
  prepareTlsMaterial,
  type TlsMaterial,
  withoutConnectorPrefix,
} from '@certctl/connector-utils';
import {
  type ConnectorContext,
  type DeployRequest,
  type DeployResult,
  type TargetInstance,
  VendorApiError,
} from '@certctl/core';
import { buildPkcs12 } from '@certctl/pki';
import { type AzureKvTargetConfig, PROVENANCE_CERTIFICATE_ID, PROVENANCE_MANAGED_BY } from './azurekv-config.js';
import { CONNECTOR } from './connector-name.js';
import { createKeyVaultApi, type KeyVaultApi, type KvImport, type KvSecretValue, type KvVersion } from './kv-api.js';

export type AzureKvTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection'>> & TargetInstance;

const derToPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
const leafDer = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');

/**
 * Azure Key Vault as a deploy target: each deploy imports the certificate and key as a new version of
 * `certificate_name` (consumers that follow the versionless id, such as Application Gateway and App
 * Service, pick it up). The newest version and its backing secret are read first; if anything fails
 * after Key Vault took the new version (a lost answer, a read-back that does not show it), the
 * previous version's secret is imported again as the newest version and the failed one is disabled.
 */
export function createAzureKvTarget(
  config: AzureKvTargetConfig,
  ctx: ConnectorContext,
  api?: KeyVaultApi,
): AzureKvTarget {
  const kv = api ?? createKeyVaultApi(config);
  const name = config.certificate_name;
  const where = `${name} in ${config.vault_url}`;
  const logger = ctx.logger.child({ connector: CONNECTOR, vault_url: config.vault_url, certificate_name: name });
  const serialized = createSerialQueue();

  const tagsFor = (request: DeployRequest): Record<string, string> => ({
    ...config.tags,
    [PROVENANCE_MANAGED_BY]: 'certctl',
    ...(request.metadata.certificate_id && { [PROVENANCE_CERTIFICATE_ID]: request.metadata.certificate_id }),
  });

  const importFor = (material: TlsMaterial, tags: Record<string, string>): KvImport => {
    if (config.format === 'pem') {
      return {
        bytes: new TextEncoder().encode(`${material.keyPem}${material.leafPem}${material.chainPem}`),
        contentType: 'application/x-pem-file',
        tags,
      };
    }
    // The PFX exists only for this call; its password too.
    const password = randomBytes(24).toString('base64url');
    const chain = material.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    return {
      bytes: buildPkcs12({
        privateKey: material.keyPem,
        certificate: material.leafPem,
        chain,
        password,
        friendlyName: name,
      }),
      contentType: 'application/x-pkcs12',
      password,
      tags,
    };
  };

  const holds = (version: KvVersion | undefined, der: Uint8Array) =>
    version !== undefined && Buffer.from(version.cer).equals(Buffer.from(der));

  /** Makes the snapshot the newest version again and disables the failed one; returns what happened. */
  const restore = async (
    previous: { version: KvVersion; secret: KvSecretValue } | undefined,
    failedVersion: string,
    signal?: AbortSignal,
  ): Promise<string> => {
    const outcome: string[] = [];
    try {
      if (previous) {
        const bytes =
          previous.secret.contentType === 'application/x-pem-file'
            ? new TextEncoder().encode(previous.secret.value)
            : Buffer.from(previous.secret.value, 'base64');
        const restored = await kv.importVersion(
          { bytes, contentType: previous.secret.contentType, tags: previous.version.tags },
          signal,
        );
        outcome.push(`the previous certificate was imported again as version ${restored.version}`);
      }
      await kv.disable(failedVersion, signal);
      outcome.push(`version ${failedVersion} was disabled`);
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'azurekv', outcome: 'restored' });
      logger.warn({ failed_version: failedVersion }, 'restored the previous version');
      return outcome.join('; ');
    } catch (error) {
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'azurekv', outcome: 'also_failed' });
      const done = outcome.length ? `${outcome.join('; ')}, but ` : '';
      return `${done}restoring failed too: ${withoutConnectorPrefix(error)}`;
    }
  };

  const failed = (error: unknown, outcome: string) => deployFailedError(CONNECTOR, error, outcome);

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const leaf = describeLeaf(material.leafPem)!;
    const der = leafDer(material.leafPem);
    const signal = request.signal ?? ctx.signal;
    const tags = tagsFor(request);
    const current = await kv.latest(signal);
    if (
      current &&
      holds(current, der) &&
      current.enabled &&
      Object.entries(tags).every(([k, v]) => current.tags[k] === v)
    ) {
      return { changed: false, detail: `${where} already holds serial ${leaf.serial} (version ${current.version})` };
    }
    // The backing secret is what a restore imports again: without it, nothing is changed.
    const previous = current ? { version: current, secret: await kv.secret(current.version, signal) } : undefined;
    let created: KvVersion;
    try {
      created = await kv.importVersion(importFor(material, tags), signal);
    } catch (error) {
      const now = await kv.latest(signal).catch(() => undefined);
      if (now && now.version !== current?.version) throw failed(error, await restore(previous, now.version, signal));
      throw failed(
        error,
        current ? `nothing was changed: ${where} is still at version ${current.version}` : 'nothing was changed',
      );
    }
    try {
      const now = await kv.latest(signal);
      if (!now || now.version !== created.version || !holds(now, der)) {
        throw new VendorApiError({
          connector: CONNECTOR,
          retryable: true,
          message: `after the import ${where} shows version ${now?.version ?? 'none'}, not ${created.version}: another writer is importing into this certificate`,
        });
      }
    } catch (error) {
      throw failed(error, await restore(previous, created.version, signal));
    }
    logger.info({ version: created.version, serial: leaf.serial }, 'imported a new version');
    return {
      changed: true,
      detail: `imported serial ${leaf.serial} into ${where} as version ${created.version}${current ? ` (was ${current.version})` : ''}`,
      metadata: {
        key_vault_certificate_id: `${config.vault_url.replace(/\/$/, '')}/certificates/${name}/${created.version}`,
      },
    };
  }

  return {
    deploy: (request) => serialized(() => deploy(request)),

    async validateDeployment(request) {
      const current = await kv.latest(request.signal ?? ctx.signal);
      if (!current) return { valid: false, detail: `${where} does not exist` };
      const held = describeLeaf(derToPem(current.cer));
      const detail = `${where} version ${current.version} holds serial ${held?.serial ?? 'unknown'}${current.enabled ? '' : ' (disabled)'}`;
      return {
        valid: current.enabled && isSameCertificate(held, request),
        observedSerial: held?.serial,
        detail,
      };
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      const leaf = describeLeaf(material.leafPem)!;
      const current = await kv.latest(request.signal ?? ctx.signal);
      if (current && holds(current, leafDer(material.leafPem))) {
        return { steps: [`keep ${where}: version ${current.version} already holds serial ${leaf.serial}`] };
      }
      return {
        steps: [
          ...(current ? [`read version ${current.version} and its secret (snapshot)`] : []),
          `import serial ${leaf.serial} as a new version of ${where} (${config.format}) with tags ${Object.keys(tagsFor(request)).join(', ')}`,
          'read the newest version back; on a mismatch import the snapshot again and disable the new version',
        ],
      };
    },

    async testConnection(options) {
      const current = await kv.latest(options?.signal ?? ctx.signal);
      return {
        ok: true,
        detail: current
          ? `Key Vault answered; ${where} is at version ${current.version}`
          : `Key Vault answered; ${where} does not exist yet (the first deploy creates it)`,
      };
    },
  };
}
