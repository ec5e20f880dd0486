/** Lists Secret Manager secrets by label and id prefix, reads each latest version and reports the certificates in it. */
import type {
  ConnectionTestResult,
  ConnectorContext,
  DiscoveredCertificate,
  DiscoverySourceInstance,
} from '@certctl/core';
import { crc32c, findSecretCertificates } from '@certctl/connector-utils';
import { type GcpSmDiscoveryConfig, listFilter } from './gcpsm-config.js';
import { type GcpSmCallFacts, isPerSecretError, gcpSmErrorCode, toGcpSmError } from './gcpsm-errors.js';
import { CONNECTOR } from './connector-name.js';

type Sdk = typeof import('@google-cloud/secret-manager');
type Client = InstanceType<Sdk['SecretManagerServiceClient']>;

/** Secrets per ListSecrets page asked for (the service may return fewer). */
const PAGE_SIZE = 250;

export interface GcpSmDiscovery extends DiscoverySourceInstance {
  testConnection(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  stop(): Promise<void>;
}

/** The `gcp-sm://<project>/<secret>` source path the discovery pipeline shows and dedups on. */
export function gcpSmLocation(project: string, secret: string): string {
  return `gcp-sm://${project}/${secret}`;
}

function endpointOptions(endpoint: string | undefined) {
  if (!endpoint) return {};
  const url = new URL(endpoint);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    apiEndpoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || (protocol === 'http' ? 80 : 443)),
    protocol,
  };
}

const bytesOf = (data: Uint8Array | string | null | undefined): Uint8Array | undefined =>
  data === null || data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'base64') : data;

export function createGcpSmDiscovery(config: GcpSmDiscoveryConfig, ctx: ConnectorContext): GcpSmDiscovery {
  const log = ctx.logger.child({ connector: CONNECTOR, project: config.project });
  const timeout = config.request_timeout_seconds * 1000;
  const filter = listFilter(config);
  const parent = `projects/${config.project}`;
  let loaded: Promise<Client> | undefined;
  // REST ("fallback") transport, HTTP/1.1 JSON: the same path everywhere, and one that an endpoint
  // override (Private Service Connect, a local fake) can serve.
  const load = () => {
    loaded ??= import('@google-cloud/secret-manager').then(
      (sdk) =>
        new sdk.SecretManagerServiceClient({
          fallback: true,
          ...(config.credentials && { keyFilename: config.credentials }),
          ...endpointOptions(config.endpoint),
        }),
    );
    return loaded;
  };
  const call = async <T>(facts: GcpSmCallFacts, run: (client: Client) => Promise<T>): Promise<T> => {
    const client = await load();
    try {
      return await run(client);
    } catch (error) {
      throw toGcpSmError(error, facts);
    }
  };

  async function* listSecrets(signal: AbortSignal, pageSize: number): AsyncGenerator<string> {
    const client = await load();
    const facts: GcpSmCallFacts = { operation: 'ListSecrets', project: config.project };
    try {
      for await (const secret of client.listSecretsAsync(
        { parent, pageSize, ...(filter && { filter }) },
        { timeout },
      )) {
        signal.throwIfAborted();
        const id = secret.name?.split('/').at(-1);
        if (id) yield id;
      }
    } catch (error) {
      if (error === signal.reason) throw error;
      throw toGcpSmError(error, facts);
    }
  }

  // Label filters are exact; `name:` matches anywhere in the id, so the prefix is checked here.
  const labelPair = config.label_filter ? config.label_filter.split('=') : undefined;

  async function* scan(signal: AbortSignal): AsyncIterable<DiscoveredCertificate> {
    signal.throwIfAborted();
    const counts = { secrets: 0, certificates: 0, withoutCertificate: 0, skipped: 0, denied: 0 };
    let truncated = false;
    for await (const id of listSecrets(signal, PAGE_SIZE)) {
      if (!id.startsWith(config.name_prefix)) continue;
      if (counts.secrets >= config.max_secrets) {
        truncated = true;
        break;
      }
      counts.secrets++;
      const name = `${parent}/secrets/${id}/versions/latest`;
      let data: Uint8Array | undefined;
      let version: string | undefined;
      try {
        const [response] = await call(
          { operation: 'AccessSecretVersion', project: config.project, secret: id },
          (client) => client.accessSecretVersion({ name }, { timeout }),
        );
        data = bytesOf(response.payload?.data);
        version = response.name?.split('/').at(-1);
        const expected = response.payload?.dataCrc32c;
        // Google puts a CRC32C beside the payload so that damage in transit or storage is caught.
        if (data && expected !== null && expected !== undefined && String(expected) !== String(crc32c(data))) {
          counts.skipped++;
          log.warn(
            { secret: id, version },
            'payload does not match its dataCrc32c checksum: skipped; the next scan reads it again',
          );
          ctx.metrics.increment('discovery_secret_read_failures_total', { connector: CONNECTOR, code: 'checksum' });
          continue;
        }
      } catch (error) {
        if (!isPerSecretError(error)) throw error;
        counts.skipped++;
        const code = String(gcpSmErrorCode(error));
        if (code === '7') counts.denied++;
        log.warn({ secret: id, code }, (error as Error).message);
        ctx.metrics.increment('discovery_secret_read_failures_total', { connector: CONNECTOR, code });
        continue;
      }
      signal.throwIfAborted();
      const found =
        data === undefined
          ? { certificates: [] }
          : findSecretCertificates(data, config.pkcs12_password ? { pkcs12Password: config.pkcs12_password } : {});
      if ('unreadable' in found && found.unreadable) log.warn({ secret: id }, found.unreadable);
      if (found.certificates.length === 0) counts.withoutCertificate++;
      for (const certificate of found.certificates) {
        counts.certificates++;
        yield {
          certificate: certificate.der,
          location: gcpSmLocation(config.project, id),
          metadata: {
            ...certificate.metadata,
            format: certificate.format,
            position: String(certificate.position),
            secret_name: id,
            project: config.project,
            ...(version && { version }),
            ...(labelPair && { label: `${labelPair[0]}=${labelPair[1]}` }),
          },
        };
      }
    }
    if (truncated) {
      log.warn(
        { max_secrets: config.max_secrets },
        'scan stopped at max_secrets: narrow name_prefix/label_filter or raise max_secrets',
      );
    }
    if (counts.secrets > 0 && counts.denied === counts.secrets) {
      throw toGcpSmError(
        { code: 7, message: 'every secret refused' },
        { operation: 'AccessSecretVersion', project: config.project },
      );
    }
    log.info(
      {
        secrets: counts.secrets,
        certificates: counts.certificates,
        without_certificate: counts.withoutCertificate,
        skipped: counts.skipped,
        filter,
      },
      counts.secrets === 0
        ? 'no secret matched label_filter and name_prefix'
        : `read ${counts.secrets} secret(s), found ${counts.certificates} certificate(s)`,
    );
  }

  return {
    scan,
    async testConnection(options) {
      const signal = options?.signal ?? new AbortController().signal;
      let first: string | undefined;
      for await (const id of listSecrets(signal, 1)) {
        first = id;
        break;
      }
      return {
        ok: true,
        detail: `secrets.list allowed on ${parent}${first ? '; at least one secret matches the filter' : '; no secret matches the filter yet'}`,
      };
    },
    async stop() {
      const client = loaded ? await loaded : undefined;
      loaded = undefined;
      await client?.close();
    },
  };
}
