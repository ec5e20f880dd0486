/** The few ACM calls the target makes, on a lazily imported `@aws-sdk/client-acm` (no SDK type leaves this file). */
import { toAcmError } from './acm-errors.js';
import type { AwsAcmTargetConfig } from './awsacm-config.js';

export interface AcmCertificateFacts {
  arn: string;
  /** Lowercase hex without colons or leading zeros. */
  serial: string;
  keyAlgorithm: string | undefined;
  status: string | undefined;
  inUseBy: string[];
}

export interface AcmImport {
  arn?: string;
  certificatePem: string;
  chainPem: string;
  keyPem: string;
  /** Only on a fresh import: ACM refuses tags on a re-import. */
  tags?: Record<string, string>;
}

export interface AcmApi {
  importCertificate(input: AcmImport, signal?: AbortSignal): Promise<string>;
  describe(arn: string, signal?: AbortSignal): Promise<AcmCertificateFacts>;
  getCertificate(arn: string, signal?: AbortSignal): Promise<{ certificatePem: string; chainPem: string }>;
  listTags(arn: string, signal?: AbortSignal): Promise<Record<string, string>>;
  addTags(arn: string, tags: Record<string, string>, signal?: AbortSignal): Promise<void>;
  /** ARNs of imported certificates of every key type, all pages. */
  listImported(signal?: AbortSignal): Promise<string[]>;
  close(): void;
}

const ALL_KEY_TYPES = [
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
] as const;

export function normalizeAcmSerial(serial: string): string {
  return serial
    .replace(/:/g, '')
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** The SDK client is created on first use (lazy import) with the default credential chain. */
export function createAcmApi(config: AwsAcmTargetConfig): AcmApi {
  type Sdk = typeof import('@aws-sdk/client-acm');
  let loaded: Promise<{ sdk: Sdk; client: InstanceType<Sdk['ACMClient']> }> | undefined;
  const load = () => {
    loaded ??= import('@aws-sdk/client-acm').then((sdk) => ({
      sdk,
      client: new sdk.ACMClient({
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
  const call = async <T>(
    operation: string,
    arn: string | undefined,
    run: (sdk: Sdk, client: InstanceType<Sdk['ACMClient']>) => Promise<T>,
  ): Promise<T> => {
    const { sdk, client } = await load();
    try {
      return await run(sdk, client);
    } catch (error) {
      throw toAcmError(error, { operation, region: config.region, arn });
    }
  };

  return {
    importCertificate: (input, signal) =>
      call('ImportCertificate', input.arn, async (sdk, client) => {
        const encoder = new TextEncoder();
        const out = await client.send(
          new sdk.ImportCertificateCommand({
            ...(input.arn && { CertificateArn: input.arn }),
            Certificate: encoder.encode(input.certificatePem),
            PrivateKey: encoder.encode(input.keyPem),
            ...(input.chainPem.trim() && { CertificateChain: encoder.encode(input.chainPem) }),
            ...(input.tags && { Tags: tagList(input.tags) }),
          }),
          { abortSignal: signal },
        );
        if (!out.CertificateArn) throw new Error('ImportCertificate answered without a CertificateArn');
        return out.CertificateArn;
      }),
    describe: (arn, signal) =>
      call('DescribeCertificate', arn, async (sdk, client) => {
        const out = await client.send(new sdk.DescribeCertificateCommand({ CertificateArn: arn }), {
          abortSignal: signal,
        });
        const c = out.Certificate ?? {};
        return {
          arn,
          serial: normalizeAcmSerial(c.Serial ?? ''),
          keyAlgorithm: c.KeyAlgorithm,
          status: c.Status,
          inUseBy: c.InUseBy ?? [],
        };
      }),
    getCertificate: (arn, signal) =>
      call('GetCertificate', arn, async (sdk, client) => {
        const out = await client.send(new sdk.GetCertificateCommand({ CertificateArn: arn }), { abortSignal: signal });
        return { certificatePem: out.Certificate ?? '', chainPem: out.CertificateChain ?? '' };
      }),
    listTags: (arn, signal) =>
      call('ListTagsForCertificate', arn, async (sdk, client) => {
        const out = await client.send(new sdk.ListTagsForCertificateCommand({ CertificateArn: arn }), {
          abortSignal: signal,
        });
        return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      }),
    addTags: (arn, tags, signal) =>
      call('AddTagsToCertificate', arn, async (sdk, client) => {
        await client.send(new sdk.AddTagsToCertificateCommand({ CertificateArn: arn, Tags: tagList(tags) }), {
          abortSignal: signal,
        });
      }),
    listImported: (signal) =>
      call('ListCertificates', undefined, async (sdk, client) => {
        const arns: string[] = [];
        let nextToken: string | undefined;
        // Bounded: 100 pages of 1000 certificates.
        for (let page = 0; page < 100; page++) {
          const out = await client.send(
            new sdk.ListCertificatesCommand({
              Includes: { keyTypes: [...ALL_KEY_TYPES] },
              MaxItems: 1000,
              ...(nextToken && { NextToken: nextToken }),
            }),
            { abortSignal: signal },
          );
          for (const s of out.CertificateSummaryList ?? [])
            if (s.CertificateArn && (s.Type === undefined || s.Type === 'IMPORTED')) arns.push(s.CertificateArn);
          nextToken = out.NextToken;
          if (!nextToken) break;
        }
        return arns;
      }),
    close() {
      void loaded?.then(({ client }) => client.destroy());
    },
  };
}
