/**
 * A fake Google Cloud Secret Manager (v1 REST, as the client library's `fallback: true` mode calls
 * it): `GET /v1/projects/{project}/secrets` with `filter`, `pageSize`, `pageToken`, and
 * `GET /v1/projects/{project}/secrets/{secret}/versions/{version}:access`. Callers authenticate with
 * a service account's self-signed JWT (RS256, `kid` = the key id), as Google accepts for its APIs;
 * errors are Google's JSON error bodies (`{"error": {"code", "message", "status"}}`).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { crc32c } from '@certctl/connector-utils';
import { type FakeRequest, type FakeResponse, type RecordedRequest, startFakeVendor } from '../fake-vendor.js';

export type GcpSecretManagerPermission = 'secretmanager.secrets.list' | 'secretmanager.versions.access';
export type GcpSecretManagerOperation = 'listSecrets' | 'accessSecretVersion';

export interface GcpSecretManagerFault {
  /** HTTP status, e.g. 429, 503. */
  code: number;
  /** Google's status name, e.g. `RESOURCE_EXHAUSTED`, `UNAVAILABLE`. */
  status: string;
  message?: string;
}

export interface FakeGcpSecretVersion {
  version: number;
  data: Uint8Array;
  /** Reported instead of the data's real CRC32C: a payload damaged in transit or storage. */
  corruptChecksum?: boolean;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
}

export interface FakeGcpSecret {
  /** Short id, e.g. `web-tls`. */
  id: string;
  labels: Record<string, string>;
  versions: FakeGcpSecretVersion[];
  createTime: string;
}

/** A service account key file as the Cloud console downloads it. */
export interface GcpServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

export interface FakeGcpSecretManager {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  projectId: string;
  projectNumber: string;
  /** The key whose self-signed JWTs the fake accepts. */
  serviceAccount: GcpServiceAccountKey;
  requests: RecordedRequest[];
  operations(): GcpSecretManagerOperation[];
  addSecret(id: string, options: { data: string | Uint8Array; labels?: Record<string, string> }): FakeGcpSecret;
  /** Adds a version (the new latest) to an existing secret. */
  addVersion(id: string, data: string | Uint8Array, state?: FakeGcpSecretVersion['state']): FakeGcpSecretVersion;
  secrets(): FakeGcpSecret[];
  failNext(operation: GcpSecretManagerOperation, fault: GcpSecretManagerFault): void;
  /** Takes a permission from the service account (on one secret for versions.access, when named). */
  deny(permission: GcpSecretManagerPermission, secretId?: string): void;
  allow(permission: GcpSecretManagerPermission): void;
  close(): Promise<void>;
}

export interface StartFakeGcpSecretManagerOptions {
  projectId?: string;
  /** Most secrets per page whatever pageSize asks; default 2, so paging is exercised. */
  maxPageSize?: number;
  /** The fake's clock for token expiry; default the system clock. */
  now?: () => Date;
}

const AUDIENCE = 'https://secretmanager.googleapis.com/';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const STATUS_BY_CODE: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = STATUS_BY_CODE[code] ?? 'UNKNOWN',
  ) {
    super(message);
  }
}

const googleError = (error: GoogleApiError): FakeResponse => ({
  status: error.code,
  headers: { 'content-type': 'application/json; charset=UTF-8' },
  body: { error: { code: error.code, message: error.message, status: error.status } },
});

const b64urlJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
};

/** Parses the simple filters Secret Manager documents: `labels.k=v`, `labels.k:*`, `name:text`, joined by AND or spaces. */
function secretFilter(filter: string): (secret: FakeGcpSecret) => boolean {
  const terms = filter
    .split(/\s+AND\s+|\s+/)
    .map((t) => t.trim())
    .filter(Boolean);
  const tests = terms.map((term) => {
    const label = /^labels\.([a-z0-9_-]+)(=|:)(.*)$/.exec(term);
    if (label) {
      const [, key, op, raw] = label as unknown as [string, string, string, string];
      const value = raw.replace(/^"(.*)"$/, '$1');
      return (s: FakeGcpSecret) =>
        op === ':' && value === '*'
          ? key in s.labels
          : op === '='
            ? s.labels[key] === value
            : (s.labels[key] ?? '').includes(value);
    }
    const name = /^name:(.+)$/.exec(term);
    if (name) {
      const value = name[1]!.replace(/^"(.*)"$/, '$1');
      return (s: FakeGcpSecret) => s.id.includes(value);
    }
    throw new GoogleApiError(400, `Invalid filter: unsupported term '${term}'.`);
  });
  return (secret) => tests.every((t) => t(secret));
}

export async function startFakeGcpSecretManager(
  options: StartFakeGcpSecretManagerOptions = {},
): Promise<FakeGcpSecretManager> {
  const projectId = options.projectId ?? 'certctl-test';
  const projectNumber = String(100_000_000_000 + (randomBytes(4).readUInt32BE() % 899_999_999_999));
  const maxPageSize = options.maxPageSize ?? 2;
  const now = options.now ?? (() => new Date());
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = randomBytes(20).toString('hex');
  const serviceAccount: GcpServiceAccountKey = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: keyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `certctl-discovery@${projectId}.iam.gserviceaccount.com`,
    client_id: String(randomBytes(8).readBigUInt64BE()),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  const verifyKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  const secrets = new Map<string, FakeGcpSecret>();
  const faults = new Map<GcpSecretManagerOperation, GcpSecretManagerFault[]>();
  const denied = new Map<GcpSecretManagerPermission, string | undefined>();
  const operations: GcpSecretManagerOperation[] = [];
  const pageTokens = new Map<string, { offset: number; filter: string }>();

  const authenticate = (request: FakeRequest) => {
    const unauthenticated = () =>
      new GoogleApiError(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw unauthenticated();
    const [head, body, signature] = token.split('.');
    const jwtHeader = head ? b64urlJson(head) : undefined;
    const claims = body ? b64urlJson(body) : undefined;
    if (!jwtHeader || !claims || !signature || jwtHeader.alg !== 'RS256' || jwtHeader.kid !== keyId) {
      throw unauthenticated();
    }
    const signed = verify('sha256', Buffer.from(`${head}.${body}`), verifyKey, Buffer.from(signature, 'base64url'));
    const seconds = Math.floor(now().getTime() / 1000);
    const audienceOk =
      claims.aud === AUDIENCE ||
      String(claims.scope ?? '')
        .split(' ')
        .includes(CLOUD_PLATFORM);
    if (
      !signed ||
      claims.iss !== serviceAccount.client_email ||
      claims.sub !== serviceAccount.client_email ||
      typeof claims.exp !== 'number' ||
      claims.exp < seconds ||
      typeof claims.iat !== 'number' ||
      claims.iat > seconds + 300 ||
      !audienceOk
    ) {
      throw unauthenticated();
    }
  };

  const checkProject = (project: string | undefined) => {
    if (project !== projectId && project !== projectNumber) {
      throw new GoogleApiError(
        403,
        `Permission 'secretmanager.secrets.list' denied for resource 'projects/${project}' (or it may not exist).`,
      );
    }
  };

  const begin = (operation: GcpSecretManagerOperation) => {
    operations.push(operation);
    const fault = faults.get(operation)?.shift();
    if (fault) throw new GoogleApiError(fault.code, fault.message ?? fault.status, fault.status);
  };

  const listSecrets = (request: FakeRequest): FakeResponse => {
    begin('listSecrets');
    checkProject(request.params.project);
    if (denied.has('secretmanager.secrets.list')) {
      throw new GoogleApiError(
        403,
        `Permission 'secretmanager.secrets.list' denied for resource 'projects/${projectId}' (or it may not exist).`,
      );
    }
    const query = request.url.searchParams;
    const filter = query.get('filter') ?? '';
    const pageSizeText = query.get('pageSize');
    const pageSize = pageSizeText === null ? 25_000 : Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > 25_000) {
      throw new GoogleApiError(400, 'Invalid page_size: must be between 0 and 25000.');
    }
    let offset = 0;
    const token = query.get('pageToken');
    if (token) {
      const saved = pageTokens.get(token);
      if (!saved || saved.filter !== filter) throw new GoogleApiError(400, 'Invalid page token.');
      offset = saved.offset;
    }
    const all = [...secrets.values()].filter(secretFilter(filter)).sort((a, b) => a.id.localeCompare(b.id));
    const page = all.slice(offset, offset + Math.min(pageSize || 25_000, maxPageSize));
    const next = offset + page.length;
    let nextPageToken: string | undefined;
    if (next < all.length) {
      nextPageToken = randomBytes(16).toString('base64url');
      pageTokens.set(nextPageToken, { offset: next, filter });
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: {
        secrets: page.map((s) => ({
          name: `projects/${projectNumber}/secrets/${s.id}`,
          replication: { automatic: {} },
          createTime: s.createTime,
          ...(Object.keys(s.labels).length > 0 && { labels: s.labels }),
          etag: `"${randomBytes(6).toString('hex')}"`,
        })),
        ...(nextPageToken && { nextPageToken }),
        totalSize: all.length,
      },
    };
  };

  const accessVersion = (request: FakeRequest): FakeResponse => {
    begin('accessSecretVersion');
    checkProject(request.params.project);
    const id = request.params.secret!;
    const match = /^(latest|\d+):access$/.exec(request.params.version ?? '');
    if (!match) throw new GoogleApiError(404, `Method not found: ${request.path}`);
    const path = `projects/${projectNumber}/secrets/${id}/versions/${match[1]}`;
    const only = denied.get('secretmanager.versions.access');
    if (denied.has('secretmanager.versions.access') && (only === undefined || only === id)) {
      throw new GoogleApiError(
        403,
        `Permission 'secretmanager.versions.access' denied for resource '${path}' (or it may not exist).`,
      );
    }
    const secret = secrets.get(id);
    const version =
      match[1] === 'latest' ? secret?.versions.at(-1) : secret?.versions.find((v) => v.version === Number(match[1]));
    // `latest` is the most recently created version, whatever its state.
    if (!secret || !version) {
      throw new GoogleApiError(404, `Secret [projects/${projectNumber}/secrets/${id}] not found or has no versions.`);
    }
    if (version.state !== 'ENABLED') {
      throw new GoogleApiError(
        400,
        `Secret Version [projects/${projectNumber}/secrets/${id}/versions/${version.version}] is in ${version.state} state.`,
        'FAILED_PRECONDITION',
      );
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: {
        name: `projects/${projectNumber}/secrets/${id}/versions/${version.version}`,
        payload: {
          data: Buffer.from(version.data).toString('base64'),
          dataCrc32c: String(version.corruptChecksum ? (crc32c(version.data) ^ 1) >>> 0 : crc32c(version.data)),
        },
      },
    };
  };

  const guarded =
    (handler: (request: FakeRequest) => FakeResponse) =>
    (request: FakeRequest): FakeResponse => {
      try {
        authenticate(request);
        return handler(request);
      } catch (error) {
        if (error instanceof GoogleApiError) return googleError(error);
        throw error;
      }
    };

  const vendor = await startFakeVendor({
    tls: false,
    routes: {
      'GET /v1/projects/:project/secrets': guarded(listSecrets),
      'GET /v1/projects/:project/secrets/:secret/versions/:version': guarded(accessVersion),
    },
    handler: (request) => googleError(new GoogleApiError(404, `Method not found: ${request.method} ${request.path}`)),
  });

  const toBytes = (data: string | Uint8Array) => (typeof data === 'string' ? new TextEncoder().encode(data) : data);
  const fake: FakeGcpSecretManager = {
    url: vendor.url,
    port: vendor.port,
    projectId,
    projectNumber,
    serviceAccount,
    requests: vendor.requests,
    operations: () => [...operations],
    addSecret(id, { data, labels = {} }) {
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) throw new Error(`invalid secret id ${id}`);
      const secret: FakeGcpSecret = {
        id,
        labels,
        versions: [{ version: 1, data: toBytes(data), state: 'ENABLED' }],
        createTime: now().toISOString(),
      };
      secrets.set(id, secret);
      return secret;
    },
    addVersion(id, data, state = 'ENABLED') {
      const secret = secrets.get(id);
      if (!secret) throw new Error(`no secret ${id}`);
      const version: FakeGcpSecretVersion = { version: secret.versions.length + 1, data: toBytes(data), state };
      secret.versions.push(version);
      return version;
    },
    secrets: () => [...secrets.values()],
    failNext(operation, fault) {
      faults.set(operation, [...(faults.get(operation) ?? []), fault]);
    },
    deny(permission, secretId) {
      denied.set(permission, secretId);
    },
    allow(permission) {
      denied.delete(permission);
    },
    close: () => vendor.close(),
  };
  return fake;
}
