/** Lists Secrets Manager secrets by name prefix and tag, reads each value and reports the certificates in it. */
import type {
  ConnectionTestResult,
  ConnectorContext,
  DiscoveredCertificate,
  DiscoverySourceInstance,
} from '@certctl/core';
import { findSecretCertificates } from '@certctl/connector-utils';
import { type AwsSmDiscoveryConfig, parseTagFilter } from './awssm-config.js';
import { type AwsSmCallFacts, awsSmErrorCode, PER_SECRET_ERRORS, toAwsSmError } from './awssm-errors.js';
import { CONNECTOR } from './connector-name.js';

type Sdk = typeof import('@aws-sdk/client-secrets-manager');
type Client = InstanceType<Sdk['SecretsManagerClient']>;

/** ListSecrets' largest page. */
const PAGE_SIZE = 100;

export interface AwsSmDiscovery extends DiscoverySourceInstance {
  testConnection(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  stop(): Promise<void>;
}

/** The `aws-sm://<region>/<name>` source path the discovery pipeline shows and dedups on. */
export function awsSmLocation(region: string, name: string): string {
  return `aws-sm://${region}/${name}`;
}

export function createAwsSmDiscovery(config: AwsSmDiscoveryConfig, ctx: ConnectorContext): AwsSmDiscovery {
  const log = ctx.logger.child({ connector: CONNECTOR, region: config.region });
  const tag = parseTagFilter(config.tag_filter);
  let loaded: Promise<{ sdk: Sdk; client: Client }> | undefined;
  // The SDK is imported on first use, with the default credential chain (no keys in certctl's config).
  const load = () => {
    loaded ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({
      sdk,
      client: new sdk.SecretsManagerClient({
        region: config.region,
        ...(config.endpoint && { endpoint: config.endpoint }),
        maxAttempts: config.max_attempts,
        requestHandler: {
          requestTimeout: config.request_timeout_seconds * 1000,
          connectionTimeout: config.request_timeout_seconds * 1000,
        },
      }),
    }));
    return loaded;
  };
  const call = async <T>(facts: AwsSmCallFacts, run: (sdk: Sdk, client: Client) => Promise<T>): Promise<T> => {
    const { sdk, client } = await load();
    try {
      return await run(sdk, client);
    } catch (error) {
      throw toAwsSmError(error, facts);
    }
  };

  // Secrets Manager filters match prefixes and tag keys and values separately: they narrow the
  // listing, and the exact tag pair and prefix are checked on what comes back.
  const filters = [
    ...(config.name_prefix ? [{ Key: 'name' as const, Values: [config.name_prefix] }] : []),
    ...(tag ? [{ Key: 'tag-key' as const, Values: [tag.key] }] : []),
    ...(tag?.value ? [{ Key: 'tag-value' as const, Values: [tag.value] }] : []),
  ];
  const selected = (secret: { Name?: string; Tags?: Array<{ Key?: string; Value?: string }> }) =>
    typeof secret.Name === 'string' &&
    secret.Name.startsWith(config.name_prefix) &&
    (!tag || (secret.Tags ?? []).some((t) => t.Key === tag.key && (t.Value ?? '') === tag.value));

  async function* scan(signal: AbortSignal): AsyncIterable<DiscoveredCertificate> {
    signal.throwIfAborted();
    const counts = { secrets: 0, certificates: 0, withoutCertificate: 0, skipped: 0, denied: 0 };
    let nextToken: string | undefined;
    let truncated = false;
    do {
      const page = await call({ operation: 'ListSecrets', region: config.region }, (sdk, client) =>
        client.send(
          new sdk.ListSecretsCommand({
            ...(filters.length > 0 && { Filters: filters }),
            MaxResults: PAGE_SIZE,
            ...(nextToken && { NextToken: nextToken }),
          }),
          { abortSignal: signal },
        ),
      );
      for (const secret of page.SecretList ?? []) {
        if (!selected(secret)) continue;
        if (counts.secrets >= config.max_secrets) {
          truncated = true;
          break;
        }
        counts.secrets++;
        const name = secret.Name!;
        const arn = secret.ARN ?? name;
        let value: { SecretString?: string; SecretBinary?: Uint8Array; VersionId?: string };
        try {
          value = await call({ operation: 'GetSecretValue', region: config.region, secretArn: arn }, (sdk, client) =>
            client.send(new sdk.GetSecretValueCommand({ SecretId: arn }), { abortSignal: signal }),
          );
        } catch (error) {
          const code = awsSmErrorCode(error);
          if (!code || !PER_SECRET_ERRORS.has(code)) throw error;
          counts.skipped++;
          if (code === 'AccessDeniedException') counts.denied++;
          log.warn({ secret: name, code }, (error as Error).message);
          ctx.metrics.increment('discovery_secret_read_failures_total', { connector: CONNECTOR, code });
          continue;
        }
        const content = value.SecretString ?? value.SecretBinary;
        const found =
          content === undefined
            ? { certificates: [] }
            : findSecretCertificates(content, config.pkcs12_password ? { pkcs12Password: config.pkcs12_password } : {});
        if ('unreadable' in found && found.unreadable) log.warn({ secret: name }, found.unreadable);
        if (found.certificates.length === 0) counts.withoutCertificate++;
        for (const certificate of found.certificates) {
          counts.certificates++;
          yield {
            certificate: certificate.der,
            location: awsSmLocation(config.region, name),
            metadata: {
              ...certificate.metadata,
              format: certificate.format,
              position: String(certificate.position),
              secret_name: name,
              secret_arn: arn,
              region: config.region,
              ...(value.VersionId && { version_id: value.VersionId }),
            },
          };
        }
      }
      nextToken = truncated ? undefined : page.NextToken;
    } while (nextToken);
    if (truncated) {
      log.warn(
        { max_secrets: config.max_secrets },
        'scan stopped at max_secrets: narrow name_prefix/tag_filter or raise max_secrets',
      );
    }
    // Every read refused: a missing permission, not a few locked-down secrets.
    if (counts.secrets > 0 && counts.denied === counts.secrets) {
      throw toAwsSmErrorForAllDenied(config.region);
    }
    log.info(
      {
        secrets: counts.secrets,
        certificates: counts.certificates,
        without_certificate: counts.withoutCertificate,
        skipped: counts.skipped,
        filters: { name_prefix: config.name_prefix, tag_filter: config.tag_filter },
      },
      counts.secrets === 0
        ? 'no secret matched name_prefix and tag_filter'
        : `read ${counts.secrets} secret(s), found ${counts.certificates} certificate(s)`,
    );
  }

  return {
    scan,
    async testConnection(options) {
      const page = await call({ operation: 'ListSecrets', region: config.region }, (sdk, client) =>
        client.send(new sdk.ListSecretsCommand({ ...(filters.length > 0 && { Filters: filters }), MaxResults: 1 }), {
          ...(options?.signal && { abortSignal: options.signal }),
        }),
      );
      const more = page.NextToken ? ' (more on further pages)' : '';
      return {
        ok: true,
        detail: `ListSecrets allowed in ${config.region}; ${page.SecretList?.length ?? 0} secret(s) on the first page${more}`,
      };
    },
    async stop() {
      const client = loaded ? (await loaded).client : undefined;
      loaded = undefined;
      client?.destroy();
    },
  };
}

function toAwsSmErrorForAllDenied(region: string): unknown {
  return toAwsSmError(
    { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } },
    { operation: 'GetSecretValue', region },
  );
}
