/**
 * A fake AWS Secrets Manager speaking the JSON 1.1 protocol the SDK uses: `POST /` with
 * `X-Amz-Target: secretsmanager.<Operation>`, a SigV4 signature verified with the fake's key pair,
 * region and service, errors as `{"__type": ..., "message": ...}`, and NextToken pagination.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type RecordedRequest, startFakeVendor } from '../fake-vendor.js';
import { type SigV4Expectation, verifySigV4 } from './aws-sigv4.js';
import { isRecord, parseJsonBody } from './fake-faults.js';

export const SECRETS_MANAGER_OPERATIONS = ['ListSecrets', 'GetSecretValue', 'DescribeSecret'] as const;
export type SecretsManagerOperation = (typeof SECRETS_MANAGER_OPERATIONS)[number];

export interface SecretsManagerFault {
  type: string;
  message?: string;
  /** Default 400, as Secrets Manager answers client and throttling errors; 500 for InternalServiceError. */
  status?: number;
}

export interface FakeSecret {
  name: string;
  arn: string;
  /** Exactly one of the two, as Secrets Manager stores it. */
  secretString?: string;
  secretBinary?: Uint8Array;
  tags: Array<{ Key: string; Value: string }>;
  description?: string;
  versionId: string;
  createdDate: Date;
  /** KMS refuses to decrypt it (DecryptionFailure on GetSecretValue). */
  undecryptable?: boolean;
}

export interface AddFakeSecretInput {
  name: string;
  secretString?: string;
  secretBinary?: Uint8Array;
  tags?: Record<string, string>;
  description?: string;
  undecryptable?: boolean;
}

export interface FakeSecretsManager {
  /** Endpoint to give the SDK (`endpoint`), plain HTTP on 127.0.0.1. */
  url: string;
  region: string;
  accountId: string;
  /** The only key pair whose signatures the fake accepts (the signature is recomputed with the secret). */
  accessKeyId: string;
  secretAccessKey: string;
  requests: RecordedRequest[];
  /** `X-Amz-Target` operations received, in order. */
  operations(): SecretsManagerOperation[];
  addSecret(input: AddFakeSecretInput): FakeSecret;
  secrets(): FakeSecret[];
  /** Answers the next call of `operation` with `fault` (queued, once per push). */
  failNext(operation: SecretsManagerOperation, fault: SecretsManagerFault): void;
  /** The principal loses `secretsmanager:<operation>` (AccessDeniedException) until `allow`. */
  deny(operation: SecretsManagerOperation, secretName?: string): void;
  allow(operation: SecretsManagerOperation): void;
  close(): Promise<void>;
}

export interface StartFakeSecretsManagerOptions {
  region?: string;
  accountId?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Most secrets per ListSecrets page whatever MaxResults asks (AWS may return fewer than MaxResults with a NextToken); default 3, so paging is exercised. */
  maxPageSize?: number;
}

const JSON_11 = 'application/x-amz-json-1.1';
const SERVICE = 'secretsmanager';
const FILTER_KEYS = new Set(['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all']);

class SmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const reply = (status: number, body: unknown): FakeResponse => ({
  status,
  headers: { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() },
  body: JSON.stringify(body),
});

/** SigV4 as AWS checks it before the operation (signature recomputed with the secret key), and the target signed. */
function checkSignature(request: FakeRequest, expected: SigV4Expectation): void {
  const refusal = verifySigV4(request, expected);
  if (refusal) throw new SmError(refusal.type, refusal.message, refusal.status);
  const signed = /SignedHeaders=([a-z0-9;-]+)/.exec(request.headers.authorization ?? '')?.[1]?.split(';') ?? [];
  if (!signed.includes('x-amz-target')) {
    throw new SmError('InvalidSignatureException', "'x-amz-target' must be a signed header.", 403);
  }
}

function stringField(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new SmError(
      'ValidationException',
      `1 validation error detected: Value at '${field[0]!.toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

interface Filter {
  key: string;
  values: string[];
}

function readFilters(value: unknown): Filter[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 10) {
    throw new SmError('InvalidParameterException', 'Filters must be a list of at most 10 filters.');
  }
  return value.map((filter) => {
    if (!isRecord(filter) || typeof filter.Key !== 'string' || !FILTER_KEYS.has(filter.Key)) {
      throw new SmError(
        'ValidationException',
        "1 validation error detected: Value at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]",
      );
    }
    const values = filter.Values;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.length > 10 ||
      values.some((v) => typeof v !== 'string')
    ) {
      throw new SmError('InvalidParameterException', 'Each filter needs between 1 and 10 string values.');
    }
    return { key: filter.Key, values: values as string[] };
  });
}

/** Secrets Manager filters match by prefix, case-sensitively; a `!` prefix negates; values OR, keys AND. */
function matches(secret: FakeSecret, filter: Filter): boolean {
  const candidates = (): string[] => {
    switch (filter.key) {
      case 'name':
        return [secret.name];
      case 'description':
        return [secret.description ?? ''];
      case 'tag-key':
        return secret.tags.map((t) => t.Key);
      case 'tag-value':
        return secret.tags.map((t) => t.Value);
      case 'all':
        return [secret.name, secret.description ?? '', ...secret.tags.flatMap((t) => [t.Key, t.Value])];
      default:
        return [];
    }
  };
  const positive = filter.values.filter((v) => !v.startsWith('!'));
  const negative = filter.values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  const found = candidates();
  if (negative.some((n) => found.some((c) => c.startsWith(n)))) return false;
  return positive.length === 0 || positive.some((p) => found.some((c) => c.startsWith(p)));
}

const epochSeconds = (date: Date) => date.getTime() / 1000;

/** Starts the fake on 127.0.0.1 (plain HTTP, like a local endpoint override). */
export async function startFakeSecretsManager(
  options: StartFakeSecretsManagerOptions = {},
): Promise<FakeSecretsManager> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const accessKeyId = options.accessKeyId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(30).toString('base64');
  const pageSize = options.maxPageSize ?? 3;
  const secrets = new Map<string, FakeSecret>();
  const faults = new Map<SecretsManagerOperation, SecretsManagerFault[]>();
  const denied = new Map<SecretsManagerOperation, string | undefined>();
  const operations: SecretsManagerOperation[] = [];
  // Tokens are opaque to the client; the fake remembers the position they stand for.
  const pageTokens = new Map<string, { offset: number; filters: string }>();

  const find = (id: string): FakeSecret => {
    const secret = secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    if (!secret) throw new SmError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const checkAccess = (operation: SecretsManagerOperation, secret?: FakeSecret) => {
    if (!denied.has(operation)) return;
    const only = denied.get(operation);
    if (only !== undefined && secret?.name !== only) return;
    throw new SmError(
      'AccessDeniedException',
      `User: arn:aws:iam::${accountId}:user/certctl is not authorized to perform: secretsmanager:${operation} on resource: ${secret?.arn ?? '*'} because no identity-based policy allows the secretsmanager:${operation} action`,
    );
  };

  const listSecrets = (body: Record<string, unknown>) => {
    const filters = readFilters(body.Filters);
    const max = body.MaxResults;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100)) {
      throw new SmError(
        'ValidationException',
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100",
      );
    }
    const filterKey = JSON.stringify(filters);
    let offset = 0;
    if (body.NextToken !== undefined) {
      const token = typeof body.NextToken === 'string' ? pageTokens.get(body.NextToken) : undefined;
      if (!token || token.filters !== filterKey) {
        throw new SmError('InvalidNextTokenException', 'The NextToken value is invalid.');
      }
      offset = token.offset;
    }
    const all = [...secrets.values()]
      .filter((s) => filters.every((f) => matches(s, f)))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = all.slice(offset, offset + Math.min((max as number | undefined) ?? 100, pageSize));
    const next = offset + page.length;
    let nextToken: string | undefined;
    if (next < all.length) {
      nextToken = randomBytes(24).toString('base64');
      pageTokens.set(nextToken, { offset: next, filters: filterKey });
    }
    return {
      SecretList: page.map((s) => ({
        ARN: s.arn,
        Name: s.name,
        ...(s.description !== undefined && { Description: s.description }),
        Tags: s.tags,
        CreatedDate: epochSeconds(s.createdDate),
        LastChangedDate: epochSeconds(s.createdDate),
        SecretVersionsToStages: { [s.versionId]: ['AWSCURRENT'] },
      })),
      ...(nextToken && { NextToken: nextToken }),
    };
  };

  const getSecretValue = (body: Record<string, unknown>) => {
    const secret = find(stringField(body, 'SecretId', true)!);
    checkAccess('GetSecretValue', secret);
    const versionId = stringField(body, 'VersionId', false);
    const stage = stringField(body, 'VersionStage', false);
    if ((versionId && versionId !== secret.versionId) || (stage && stage !== 'AWSCURRENT')) {
      throw new SmError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage ?? versionId}`,
      );
    }
    if (secret.undecryptable) {
      throw new SmError(
        'DecryptionFailure',
        'Secrets Manager can’t decrypt the protected secret text using the provided KMS key.',
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      ...(secret.secretString !== undefined && { SecretString: secret.secretString }),
      ...(secret.secretBinary !== undefined && { SecretBinary: Buffer.from(secret.secretBinary).toString('base64') }),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: epochSeconds(secret.createdDate),
    };
  };

  const describeSecret = (body: Record<string, unknown>) => {
    const secret = find(stringField(body, 'SecretId', true)!);
    checkAccess('DescribeSecret', secret);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Tags: secret.tags,
      CreatedDate: epochSeconds(secret.createdDate),
      VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
    };
  };

  const handler = (request: FakeRequest): FakeResponse => {
    try {
      if (request.method !== 'POST' || request.path !== '/') {
        throw new SmError('UnknownOperationException', `${request.method} ${request.path} is not an operation`, 404);
      }
      checkSignature(request, { accessKeyId, secretAccessKey, region, service: SERVICE });
      const target = request.headers['x-amz-target'] ?? '';
      const operation = target.startsWith(`${SERVICE}.`) ? target.slice(SERVICE.length + 1) : '';
      if (!(SECRETS_MANAGER_OPERATIONS as readonly string[]).includes(operation)) {
        throw new SmError('UnknownOperationException', `Unknown operation ${target}`);
      }
      const op = operation as SecretsManagerOperation;
      operations.push(op);
      if (!(request.headers['content-type'] ?? '').startsWith(JSON_11)) {
        throw new SmError('SerializationException', `Content-Type must be ${JSON_11}`);
      }
      const fault = faults.get(op)?.shift();
      if (fault) throw new SmError(fault.type, fault.message ?? fault.type, fault.status ?? 400);
      const body = parseJsonBody(request.text());
      if (!isRecord(body))
        throw new SmError('SerializationException', 'Start of structure or map found where not expected.');
      if (op === 'ListSecrets') {
        checkAccess('ListSecrets');
        return reply(200, listSecrets(body));
      }
      if (op === 'GetSecretValue') return reply(200, getSecretValue(body));
      return reply(200, describeSecret(body));
    } catch (error) {
      if (error instanceof SmError) return reply(error.status, { __type: error.type, message: error.message });
      throw error;
    }
  };

  const vendor = await startFakeVendor({ tls: false, handler });
  return {
    url: vendor.url,
    region,
    accountId,
    accessKeyId,
    secretAccessKey,
    requests: vendor.requests,
    operations: () => [...operations],
    addSecret(input) {
      if ((input.secretString === undefined) === (input.secretBinary === undefined)) {
        throw new Error('a fake secret holds exactly one of secretString and secretBinary');
      }
      const secret: FakeSecret = {
        name: input.name,
        arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${input.name}-${randomBytes(3).toString('base64url').slice(0, 6)}`,
        ...(input.secretString !== undefined && { secretString: input.secretString }),
        ...(input.secretBinary !== undefined && { secretBinary: input.secretBinary }),
        tags: Object.entries(input.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        ...(input.description !== undefined && { description: input.description }),
        versionId: randomUUID(),
        createdDate: new Date(),
        ...(input.undecryptable && { undecryptable: true }),
      };
      secrets.set(secret.name, secret);
      return secret;
    },
    secrets: () => [...secrets.values()],
    failNext(operation, fault) {
      faults.set(operation, [...(faults.get(operation) ?? []), fault]);
    },
    deny(operation, secretName) {
      denied.set(operation, secretName);
    },
    allow(operation) {
      denied.delete(operation);
    },
    close: () => vendor.close(),
  };
}
