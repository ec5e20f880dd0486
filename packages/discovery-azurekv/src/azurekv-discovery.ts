/** Lists Key Vault certificates (and secrets) by name prefix and tag, and reports the certificates in them. */
import type {
  ConnectionTestResult,
  ConnectorContext,
  DiscoveredCertificate,
  DiscoverySourceInstance,
} from '@certctl/core';
import { certificateMetadata, findSecretCertificates, lazyAzureKeyVaultClients } from '@certctl/connector-utils';
import { parseCertificate } from '@certctl/pki';
import { type AzureKvDiscoveryConfig, vaultName } from './azurekv-config.js';
import { type AzureKvCallFacts, azureKvErrorStatus, isPerObjectError, toAzureKvError } from './azurekv-errors.js';
import { CONNECTOR } from './connector-name.js';

type CertificateClient = import('@azure/keyvault-certificates').CertificateClient;
type SecretClient = import('@azure/keyvault-secrets').SecretClient;
interface Clients {
  certificates: CertificateClient;
  secrets: SecretClient;
}

export interface AzureKvDiscovery extends DiscoverySourceInstance {
  testConnection(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
}

/** The `azure-kv://<vault>/<name>/<version>` source path the discovery pipeline shows and dedups on. */
export function azureKvLocation(vault: string, name: string, version: string): string {
  return `azure-kv://${vault}/${name}/${version}`;
}

interface ListedObject {
  name: string;
  enabled?: boolean;
  tags?: Record<string, string>;
  managed?: boolean;
}

export function createAzureKvDiscovery(config: AzureKvDiscoveryConfig, ctx: ConnectorContext): AzureKvDiscovery {
  const vault = vaultName(config.vault_url);
  const log = ctx.logger.child({ connector: CONNECTOR, vault });
  const tag = config.tag_filter
    ? {
        key: config.tag_filter.slice(0, config.tag_filter.indexOf('=')),
        value: config.tag_filter.slice(config.tag_filter.indexOf('=') + 1),
      }
    : undefined;
  const prefix = config.name_prefix.toLowerCase();
  // The SDKs are imported on first use; the credential is built once and shared by both clients.
  const load = lazyAzureKeyVaultClients(config, async () => {
    const [identity, certificates, secrets] = await Promise.all([
      import('@azure/identity'),
      import('@azure/keyvault-certificates'),
      import('@azure/keyvault-secrets'),
    ]);
    return { identity, certificates, secrets };
  });
  const facts = (operation: string, permission: string, name?: string): AzureKvCallFacts => ({
    operation,
    permission,
    vaultUrl: config.vault_url,
    ...(name && { name }),
  });
  const call = async <T>(f: AzureKvCallFacts, run: (clients: Clients) => Promise<T>): Promise<T> => {
    try {
      return await run(await load());
    } catch (error) {
      throw toAzureKvError(error, f);
    }
  };
  const options = (signal: AbortSignal) => ({
    abortSignal: signal,
    requestOptions: { timeout: config.request_timeout_seconds * 1000 },
  });
  const selected = (item: ListedObject) =>
    item.enabled !== false &&
    item.name.toLowerCase().startsWith(prefix) &&
    (!tag || item.tags?.[tag.key] === tag.value);

  /** Names from a paged list, each page fetched through `call` so errors are typed. */
  async function* list(kind: 'certificates' | 'secrets', signal: AbortSignal): AsyncGenerator<ListedObject> {
    const f = facts(`list ${kind}`, `${kind}/list`);
    const clients = await call(f, (c) => Promise.resolve(c));
    const pages: AsyncIterator<ListedObject[]> = (
      kind === 'certificates'
        ? clients.certificates.listPropertiesOfCertificates(options(signal))
        : clients.secrets.listPropertiesOfSecrets(options(signal))
    ).byPage() as AsyncIterator<ListedObject[]>;
    while (true) {
      const page = await call(f, () => pages.next());
      if (page.done) return;
      for (const item of page.value) {
        signal.throwIfAborted();
        yield item;
      }
    }
  }

  async function* scan(signal: AbortSignal): AsyncIterable<DiscoveredCertificate> {
    signal.throwIfAborted();
    const counts = { objects: 0, certificates: 0, skipped: 0, denied: 0, withoutCertificate: 0 };
    const budget = () => {
      if (counts.objects >= config.max_objects) return false;
      counts.objects++;
      return true;
    };
    const skip = (error: unknown, name: string) => {
      if (!isPerObjectError(error)) throw error;
      counts.skipped++;
      const status = azureKvErrorStatus(error);
      if (status === 403) counts.denied++;
      log.warn({ name, status }, (error as Error).message);
      ctx.metrics.increment('discovery_secret_read_failures_total', { connector: CONNECTOR, code: String(status) });
    };
    let truncated = false;

    if (config.include_certificates) {
      for await (const item of list('certificates', signal)) {
        if (!selected(item)) continue;
        if (!budget()) {
          truncated = true;
          break;
        }
        let certificate: Awaited<ReturnType<CertificateClient['getCertificate']>>;
        try {
          certificate = await call(facts('get certificate', 'certificates/get', item.name), (c) =>
            c.certificates.getCertificate(item.name, options(signal)),
          );
        } catch (error) {
          skip(error, item.name);
          continue;
        }
        // A pending certificate (an order not completed yet) has no `cer`.
        if (!certificate.cer || certificate.cer.length === 0) {
          counts.withoutCertificate++;
          continue;
        }
        const parsed = parseCertificate(certificate.cer);
        const version = certificate.properties.version ?? 'latest';
        counts.certificates++;
        yield {
          certificate: parsed.der,
          location: azureKvLocation(vault, item.name, version),
          metadata: {
            ...certificateMetadata(parsed),
            format: 'der',
            position: '0',
            object_type: 'certificate',
            name: item.name,
            version,
            vault,
            vault_url: config.vault_url,
          },
        };
      }
    }

    if (config.include_secrets && !truncated) {
      for await (const item of list('secrets', signal)) {
        // Secrets backing a Key Vault certificate hold its private key: the certificate was reported above.
        if (item.managed || !selected(item)) continue;
        if (!budget()) {
          truncated = true;
          break;
        }
        let secret: Awaited<ReturnType<SecretClient['getSecret']>>;
        try {
          secret = await call(facts('get secret', 'secrets/get', item.name), (c) =>
            c.secrets.getSecret(item.name, options(signal)),
          );
        } catch (error) {
          skip(error, item.name);
          continue;
        }
        const found =
          secret.value === undefined
            ? { certificates: [] }
            : findSecretCertificates(
                secret.value,
                config.pkcs12_password ? { pkcs12Password: config.pkcs12_password } : {},
              );
        if ('unreadable' in found && found.unreadable) log.warn({ name: item.name }, found.unreadable);
        if (found.certificates.length === 0) counts.withoutCertificate++;
        const version = secret.properties.version ?? 'latest';
        for (const certificate of found.certificates) {
          counts.certificates++;
          yield {
            certificate: certificate.der,
            location: azureKvLocation(vault, item.name, version),
            metadata: {
              ...certificate.metadata,
              format: certificate.format,
              position: String(certificate.position),
              object_type: 'secret',
              name: item.name,
              version,
              vault,
              vault_url: config.vault_url,
              ...(secret.properties.contentType && { content_type: secret.properties.contentType }),
            },
          };
        }
      }
    }

    if (truncated) {
      log.warn(
        { max_objects: config.max_objects },
        'scan stopped at max_objects: narrow name_prefix/tag_filter or raise max_objects',
      );
    }
    if (counts.objects > 0 && counts.denied === counts.objects) {
      throw toAzureKvError(
        { name: 'RestError', statusCode: 403, code: 'Forbidden' },
        facts('get', config.include_certificates ? 'certificates/get and secrets/get' : 'secrets/get'),
      );
    }
    log.info(
      {
        objects: counts.objects,
        certificates: counts.certificates,
        without_certificate: counts.withoutCertificate,
        skipped: counts.skipped,
        filters: { name_prefix: config.name_prefix, tag_filter: config.tag_filter },
      },
      counts.objects === 0
        ? 'no certificate or secret matched name_prefix and tag_filter'
        : `read ${counts.objects} object(s), found ${counts.certificates} certificate(s)`,
    );
  }

  return {
    scan,
    async testConnection(options) {
      const signal = options?.signal ?? new AbortController().signal;
      const kind = config.include_certificates ? 'certificates' : 'secrets';
      let any = false;
      for await (const _ of list(kind, signal)) {
        any = true;
        break;
      }
      return {
        ok: true,
        detail: `${kind}/list allowed on ${config.vault_url}${any ? '' : ' (the vault holds none yet)'}`,
      };
    },
  };
}
