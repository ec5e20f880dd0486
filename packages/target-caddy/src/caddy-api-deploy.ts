import { describeLeaf, isSameCertificate, type TlsMaterial } from '@certctl/connector-utils';
import { ConnectorError, type ConnectorLogger, type ValidateDeploymentResult } from '@certctl/core';
import type { CaddyAdminClient } from './caddy-admin-client.js';
import { CONNECTOR } from './connector-name.js';

/** One entry of `apps.tls.certificates.load_pem` (Caddy's `caddytls.CertKeyPEMPair`). */
export interface LoadPemEntry {
  certificate: string;
  key: string;
  tags?: string[];
  [other: string]: unknown;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The load_pem entries of a full Caddy config (none when the path does not exist). */
export function loadPemEntries(config: unknown): LoadPemEntry[] {
  const apps = isObject(config) ? config.apps : undefined;
  const tls = isObject(apps) ? apps.tls : undefined;
  const certificates = isObject(tls) ? tls.certificates : undefined;
  const list = isObject(certificates) ? certificates.load_pem : undefined;
  return Array.isArray(list)
    ? list.filter((e): e is LoadPemEntry => isObject(e) && typeof e.certificate === 'string')
    : [];
}

const ownedBy = (tag: string) => (entry: LoadPemEntry) => Array.isArray(entry.tags) && entry.tags.includes(tag);

/** A copy of `config` whose load_pem holds every other entry plus exactly one of ours. */
export function withOurCertificate(config: unknown, tag: string, material: TlsMaterial): Json {
  const next: Json = isObject(config) ? structuredClone(config) : {};
  const child = (parent: Json, key: string): Json => {
    const value = parent[key];
    if (isObject(value)) return value;
    const created: Json = {};
    parent[key] = created;
    return created;
  };
  const certificates = child(child(child(next, 'apps'), 'tls'), 'certificates');
  const others = loadPemEntries(config).filter((entry) => !ownedBy(tag)(entry));
  certificates.load_pem = [...others, { certificate: material.fullchainPem, key: material.keyPem, tags: [tag] }];
  return next;
}

export interface ApiDeployOutcome {
  changed: boolean;
  detail: string;
}

/**
 * Deploy through the admin API: read the running config, put our certificate and key in load_pem
 * (tagged), POST /load. Caddy provisions the new config before switching, so a config it rejects
 * never goes live; if our read-back check fails after a switch, the previous config is loaded again.
 */
export async function deployThroughAdminApi(options: {
  client: CaddyAdminClient;
  tag: string;
  material: TlsMaterial;
  serial: string;
  signal?: AbortSignal;
  logger: ConnectorLogger;
  /** Checks that Caddy now presents the certificate (a TLS handshake); a failure loads the previous config again. */
  verify?: () => Promise<void>;
}): Promise<ApiDeployOutcome> {
  const { client, tag, material, signal, logger } = options;
  const previous = await client.getConfig('/config/', signal);
  const ours = loadPemEntries(previous).filter(ownedBy(tag));
  if (ours.length === 1 && ours[0]!.certificate === material.fullchainPem && ours[0]!.key === material.keyPem) {
    return { changed: false, detail: `Caddy already holds serial ${options.serial} (tag ${tag}); nothing loaded` };
  }
  const next = withOurCertificate(previous, tag, material);
  await client.load(next, { signal });
  try {
    const check = loadPemEntries(await client.getConfig('/config/', signal)).filter(ownedBy(tag));
    if (check.length !== 1 || check[0]!.certificate !== material.fullchainPem) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `Caddy accepted the new config but does not report the certificate tagged ${tag} afterwards`,
      });
    }
    await options.verify?.();
  } catch (error) {
    logger.warn({ error: (error as Error).message }, 'verification after /load failed; loading the previous config');
    try {
      await client.load(previous ?? {}, { force: true });
    } catch (restoreError) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `${(error as Error).message}; ROLLBACK FAILED: loading the previous config was refused (${(restoreError as Error).message})`,
        cause: error,
      });
    }
    throw new ConnectorError({
      connector: CONNECTOR,
      message: `${(error as Error).message}; the previous config was loaded again`,
      cause: error,
    });
  }
  return {
    changed: true,
    detail: `POST /load with the certificate tagged ${tag} (serial ${options.serial}); Caddy switched to it`,
  };
}

/** What validateDeployment reports in api mode: the serial of the load_pem entry we own. */
export async function validateThroughAdminApi(
  client: CaddyAdminClient,
  tag: string,
  wanted: { serial: string; fingerprintSha256?: string; signal?: AbortSignal },
): Promise<ValidateDeploymentResult> {
  const entries = loadPemEntries(await client.getConfig('/config/', wanted.signal)).filter(ownedBy(tag));
  if (entries.length === 0) return { valid: false, detail: `Caddy holds no load_pem certificate tagged ${tag}` };
  const deployed = describeLeaf(entries[0]!.certificate);
  if (!deployed) return { valid: false, detail: `the load_pem entry tagged ${tag} holds no certificate` };
  const valid = entries.length === 1 && isSameCertificate(deployed, wanted);
  return {
    valid,
    observedSerial: deployed.serial,
    detail: valid
      ? `Caddy's load_pem entry tagged ${tag} holds serial ${deployed.serial}`
      : `Caddy's load_pem entry tagged ${tag} holds serial ${deployed.serial}, not ${wanted.serial}${entries.length > 1 ? ` (and ${entries.length - 1} more entries with that tag)` : ''}`,
  };
}
