import { createHash, createPrivateKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { buildPkcs12, parsePkcs12 } from '@certctl/pki';
import { type FakeRequest, type FakeResponse, type RecordedRequest, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, type TestCa } from '../test-pki.js';
import { isRecord, parseJsonBody } from './fake-faults.js';

/** Key Vault operations a test can make fail (`failNext`). */
export type KeyVaultOperation =
  | 'importCertificate'
  | 'getCertificate'
  | 'updateCertificate'
  | 'listCertificateVersions'
  | 'getSecret'
  | 'listCertificates'
  | 'listSecrets'
  | 'token';

/** A Key Vault error: status, `error.code`, message; `retryAfter` seconds for 429; `applied` runs the operation first. */
export interface KeyVaultFault {
  status: number;
  code: string;
  message?: string;
  retryAfterSeconds?: number;
  /** Perform the operation, then answer the fault (an answer lost after the vault committed). */
  applied?: boolean;
  /** Let this many calls of the operation through first; default 0 (the next call fails). */
  skip?: number;
}

export type CertificatePermission = 'get' | 'list' | 'import' | 'update';
export type SecretPermission = 'get' | 'list';

export interface FakeKeyVaultVersion {
  version: string;
  /** DER of the leaf, base64 (`cer`). */
  cer: string;
  serial: string;
  contentType: 'application/x-pem-file' | 'application/x-pkcs12';
  /** The backing secret's value, as Key Vault returns it (PEM text, or base64 PFX). */
  secretValue: string;
  tags: Record<string, string>;
  enabled: boolean;
  created: number;
}

/** A secret that is not the backing secret of a Key Vault certificate (e.g. a PEM pasted by hand). */
export interface FakeKeyVaultPlainSecret {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  created: number;
}

export interface FakeKeyVault {
  /** Vault URL to give the SDK (`https://127.0.0.1:<port>`). */
  vaultUrl: string;
  /** Azure AD authority host (`https://127.0.0.1:<port>`), tenants under it. */
  authorityHost: string;
  /** App Service style managed identity endpoint (plain HTTP, as App Service serves it). */
  identityEndpoint: string;
  identityHeader: string;
  /** CA that signed both HTTPS servers, for `ca_bundle_path`. */
  caPem: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Client id the managed identity endpoint issues tokens for. */
  managedIdentityClientId: string;
  /** The audience Key Vault asks for in its challenge and checks in tokens. */
  resource: string;
  requests: RecordedRequest[];
  aadRequests: RecordedRequest[];
  versions(name: string): FakeKeyVaultVersion[];
  /** The newest version (what versionless consumers load), or undefined. */
  latest(name: string): FakeKeyVaultVersion | undefined;
  failNext(operation: KeyVaultOperation, fault: KeyVaultFault): void;
  /** Removes (or restores) a permission of a principal's access policy (default: the client and the managed identity have all). */
  revoke(principal: string, permission: `certificates/${CertificatePermission}` | `secrets/${SecretPermission}`): void;
  grant(principal: string, permission: `certificates/${CertificatePermission}` | `secrets/${SecretPermission}`): void;
  /** Marks a name as deleted but recoverable (soft delete): imports under it answer 409. */
  softDelete(name: string): void;
  /** Imports a certificate version (PEM with its key, as `importCertificate` would): the discovery tests' seeding. */
  addCertificate(
    name: string,
    input: {
      certificatePem: string;
      keyPem: string;
      chainPem?: string;
      tags?: Record<string, string>;
      enabled?: boolean;
    },
  ): FakeKeyVaultVersion;
  /** Sets a plain secret (a new version of it), as `setSecret` would. */
  addSecret(
    name: string,
    input: { value: string; contentType?: string; tags?: Record<string, string>; enabled?: boolean },
  ): FakeKeyVaultPlainSecret;
  close(): Promise<void>;
}

export interface StartFakeKeyVaultOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  ca?: TestCa;
  /** Most items per list page whatever `maxresults` asks (Key Vault: 25); lower it to exercise nextLink. */
  listPageSize?: number;
}

const API_VERSIONS = new Set(['2025-07-01', '7.6', '7.5', '7.4']);
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_TAGS = 15;

const kvError = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID(), ...headers },
  body: { error: { code, message } },
});
const kvOk = (body: unknown, status = 200): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() },
  body,
});
const aadError = (status: number, error: string, code: number, description: string): FakeResponse => ({
  status,
  body: {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  },
});

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface IssuedToken {
  audience: string;
  principal: string;
  tenantId: string;
  expiresAt: number;
}

function splitPem(text: string): { keys: string[]; certificates: string[] } {
  return {
    keys: text.match(/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/g) ?? [],
    certificates: text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [],
  };
}

const derToPem = (der: Uint8Array, label: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END ${label}-----\n`;

/**
 * A local Azure Key Vault (certificates and their backing secrets) with its Azure AD: HTTPS only (the SDK
 * refuses plain HTTP), Key Vault's challenge flow (a request without a token gets 401 and
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`),
 * client-credential tokens from the v2.0 token endpoint (a wrong secret gets AADSTS7000215), an App
 * Service managed identity endpoint, bearer tokens checked for audience, tenant and expiry, access
 * policies per principal (403 Forbidden with Key Vault's message), versions (each import is a new
 * one, the newest is what versionless consumers load), soft-deleted names (409), throttling with
 * Retry-After, and Key Vault's `{"error": {"code", "message"}}` bodies.
 */
export async function startFakeKeyVault(options: StartFakeKeyVaultOptions = {}): Promise<FakeKeyVault> {
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const clientId = options.clientId ?? '0d1f6a8e-1c4b-4b43-9f1a-3c2e7c5a9b01';
  const clientSecret = options.clientSecret ?? `fake~${randomBytes(18).toString('base64url')}`;
  const managedIdentityClientId = '5a1e0f8c-7d2b-4c9e-8f3a-6b4d2e1c0a9f';
  const identityHeader = randomUUID();
  const resource = 'https://vault.azure.net';
  const ca = options.ca ?? (await createTestCa({ commonName: 'certctl fake Azure CA' }));
  const store = new Map<string, FakeKeyVaultVersion[]>();
  const plainSecrets = new Map<string, FakeKeyVaultPlainSecret[]>();
  const listPageSize = options.listPageSize ?? 25;
  const skipTokens = new Map<string, number>();
  const softDeleted = new Set<string>();
  const tokens = new Map<string, IssuedToken>();
  const faults = new Map<KeyVaultOperation, KeyVaultFault[]>();
  const allPermissions = () =>
    new Set<string>([
      'certificates/get',
      'certificates/list',
      'certificates/import',
      'certificates/update',
      'secrets/get',
      'secrets/list',
    ]);
  const policies = new Map<string, Set<string>>([
    [clientId, allPermissions()],
    [managedIdentityClientId, allPermissions()],
  ]);

  const takeFault = (operation: KeyVaultOperation) => {
    const queue = faults.get(operation);
    const next = queue?.[0];
    if (next?.skip) {
      next.skip--;
      return undefined;
    }
    return queue?.shift();
  };
  const faultResponse = (fault: KeyVaultFault) =>
    kvError(
      fault.status,
      fault.code,
      fault.message ?? `${fault.code} (injected)`,
      fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
    );

  const issueToken = (principal: string, audience: string) => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const token = [
      b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'fake' })),
      b64url(JSON.stringify({ aud: audience, appid: principal, tid: tenantId, exp: expiresAt })),
      b64url(randomBytes(32)),
    ].join('.');
    tokens.set(token, { audience, principal, tenantId, expiresAt });
    return { token, expiresAt };
  };

  // Azure AD (v2.0 endpoints MSAL uses) over HTTPS.
  const aad = await startFakeVendor({
    ca,
    routes: {
      'GET /:tenant/v2.0/.well-known/openid-configuration': (request) => {
        if (request.params.tenant !== tenantId) {
          return aadError(400, 'invalid_tenant', 90002, `Tenant '${request.params.tenant}' not found.`);
        }
        const base = `${aad.url}/${tenantId}`;
        return {
          body: {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            jwks_uri: `${aad.url}/${tenantId}/discovery/v2.0/keys`,
            issuer: `${base}/v2.0`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
            response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            tenant_region_scope: 'NA',
          },
        };
      },
      'POST /:tenant/oauth2/v2.0/token': (request) => {
        const fault = takeFault('token');
        if (fault) return { status: fault.status, body: { error: fault.code, error_description: fault.message } };
        const form = new URLSearchParams(request.text());
        if (request.params.tenant !== tenantId) {
          return aadError(400, 'invalid_request', 90002, `Tenant '${request.params.tenant}' not found.`);
        }
        if (form.get('grant_type') !== 'client_credentials') {
          return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
        }
        if (form.get('client_id') !== clientId) {
          return aadError(
            400,
            'unauthorized_client',
            700016,
            `Application with identifier '${form.get('client_id')}' was not found in the directory.`,
          );
        }
        if (form.get('client_secret') !== clientSecret) {
          return aadError(
            401,
            'invalid_client',
            7000215,
            `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
          );
        }
        const scope = form.get('scope') ?? '';
        const audience = scope
          .split(' ')
          .find((s) => s.endsWith('/.default'))
          ?.replace(/\/\.default$/, '');
        if (!audience) return aadError(400, 'invalid_scope', 1002012, 'The provided value for scope is not valid.');
        const { token } = issueToken(clientId, audience);
        return { body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
      },
    },
  });

  // App Service managed identity (api-version 2019-08-01): plain HTTP on loopback, secret header.
  const identity = await startFakeVendor({
    tls: false,
    routes: {
      'GET /msi/token': (request) => {
        if (request.headers['x-identity-header'] !== identityHeader) {
          return { status: 401, body: { statusCode: 401, message: 'X-IDENTITY-HEADER is missing or wrong' } };
        }
        if (request.url.searchParams.get('api-version') !== '2019-08-01') {
          return { status: 400, body: { statusCode: 400, message: 'unsupported api-version' } };
        }
        const audience = request.url.searchParams.get('resource');
        if (!audience) return { status: 400, body: { statusCode: 400, message: 'resource is required' } };
        const { token, expiresAt } = issueToken(managedIdentityClientId, audience.replace(/\/$/, ''));
        return {
          body: {
            access_token: token,
            expires_on: String(expiresAt),
            resource: audience,
            token_type: 'Bearer',
            client_id: managedIdentityClientId,
          },
        };
      },
    },
  });

  const challenge = () => `Bearer authorization="${aad.url}/${tenantId}", resource="${resource}"`;

  const authorize = (request: FakeRequest, permission: string): string => {
    const header = request.headers.authorization;
    if (!header) throw new KvError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const issued = token ? tokens.get(token) : undefined;
    if (!issued) throw new KvError(401, 'Unauthorized', 'AKV10022: Invalid audience or signature.');
    if (issued.expiresAt * 1000 < Date.now()) throw new KvError(401, 'Unauthorized', 'AKV10032: Token expired.');
    if (issued.audience !== resource) {
      throw new KvError(
        401,
        'Unauthorized',
        `AKV10022: Invalid audience. Expected ${resource}, found: ${issued.audience}.`,
      );
    }
    if (!policies.get(issued.principal)?.has(permission)) {
      const [kind, action] = permission.split('/');
      throw new KvError(
        403,
        'Forbidden',
        `The user, group or application 'appid=${issued.principal};oid=${randomUUID()};iss=https://sts.windows.net/${tenantId}/' does not have ${kind} ${action} permission on key vault 'certctl-fake;location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
      );
    }
    return issued.principal;
  };

  const vaultUrl = () => vault.url;
  const bundle = (name: string, v: FakeKeyVaultVersion) => {
    const der = Buffer.from(v.cer, 'base64');
    const leaf = new X509Certificate(der);
    return {
      id: `${vaultUrl()}/certificates/${name}/${v.version}`,
      kid: `${vaultUrl()}/keys/${name}/${v.version}`,
      sid: `${vaultUrl()}/secrets/${name}/${v.version}`,
      x5t: createHash('sha1').update(der).digest('base64url'),
      cer: v.cer,
      attributes: {
        enabled: v.enabled,
        nbf: Math.floor(new Date(leaf.validFrom).getTime() / 1000),
        exp: Math.floor(new Date(leaf.validTo).getTime() / 1000),
        created: v.created,
        updated: v.created,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      },
      tags: v.tags,
      policy: {
        id: `${vaultUrl()}/certificates/${name}/policy`,
        key_props: {
          exportable: true,
          kty: leaf.publicKey.asymmetricKeyType === 'ec' ? 'EC' : 'RSA',
          reuse_key: false,
        },
        secret_props: { contentType: v.contentType },
        x509_props: { subject: leaf.subject.replace(/\n/g, ', '), validity_months: 1 },
        issuer: { name: 'Unknown' },
        attributes: { enabled: true, created: v.created, updated: v.created },
      },
    };
  };

  const versionsOf = (name: string) => {
    if (!NAME.test(name)) throw new KvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    const versions = store.get(name);
    if (!versions?.length) {
      throw new KvError(
        404,
        'CertificateNotFound',
        `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      );
    }
    return versions;
  };
  const findVersion = (name: string, version: string | undefined) => {
    const versions = versionsOf(name);
    const found = version ? versions.find((v) => v.version === version) : versions.at(-1);
    if (!found) {
      throw new KvError(
        404,
        'CertificateNotFound',
        `A certificate with (name/id) ${name}/${version} was not found in this key vault.`,
      );
    }
    return found;
  };

  const readTags = (value: unknown): Record<string, string> => {
    if (value === undefined) return {};
    if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new KvError(400, 'BadParameter', 'Tags must be a map of strings.');
    }
    if (Object.keys(value).length > MAX_TAGS)
      throw new KvError(400, 'BadParameter', `A maximum of ${MAX_TAGS} tags is allowed.`);
    return value as Record<string, string>;
  };

  const importVersion = (name: string, input: Record<string, unknown>): FakeKeyVaultVersion => {
    if (!NAME.test(name)) throw new KvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    if (softDeleted.has(name)) {
      throw new KvError(
        409,
        'Conflict',
        `Certificate ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.`,
      );
    }
    if (typeof input.value !== 'string' || input.value.length === 0) {
      throw new KvError(400, 'BadParameter', 'Property value is required.');
    }
    const policy = isRecord(input.policy) ? input.policy : {};
    const secretProps = isRecord(policy.secret_props) ? policy.secret_props : {};
    const contentType = secretProps.contentType ?? 'application/x-pkcs12';
    let keyPem: string;
    let certificates: string[];
    if (contentType === 'application/x-pem-file') {
      const parts = splitPem(input.value);
      if (parts.keys.length !== 1) {
        throw new KvError(
          400,
          'BadParameter',
          'Private key is not specified in the specified X.509 PEM certificate content. Please specify private key in the X.509 PEM certificate content.',
        );
      }
      keyPem = parts.keys[0]!;
      certificates = parts.certificates;
    } else if (contentType === 'application/x-pkcs12') {
      try {
        const parsed = parsePkcs12(Buffer.from(input.value, 'base64'), typeof input.pwd === 'string' ? input.pwd : '');
        if (!parsed.privateKeyPkcs8) throw new Error('no key');
        keyPem = derToPem(parsed.privateKeyPkcs8, 'PRIVATE KEY');
        certificates = parsed.certificates.map((der) => derToPem(der, 'CERTIFICATE'));
      } catch {
        throw new KvError(
          400,
          'BadParameter',
          'The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid PKCS#12 format.',
        );
      }
    } else {
      throw new KvError(400, 'BadParameter', `Content type ${String(contentType)} is not supported.`);
    }
    const key = createPrivateKey(keyPem);
    const leafPem = certificates.find((pem) => new X509Certificate(pem).checkPrivateKey(key));
    if (!leafPem) {
      throw new KvError(
        400,
        'BadParameter',
        'The specified X.509 certificate content does not contain a certificate matching the private key.',
      );
    }
    const leaf = new X509Certificate(leafPem);
    const existing = store.get(name) ?? [];
    const attributes = isRecord(input.attributes) ? input.attributes : {};
    const created: FakeKeyVaultVersion = {
      version: randomBytes(16).toString('hex'),
      cer: leaf.raw.toString('base64'),
      serial: leaf.serialNumber.toLowerCase(),
      contentType,
      // Key Vault keeps the key and chain in the backing secret: PEM as sent, PKCS#12 re-encoded without a password.
      secretValue:
        contentType === 'application/x-pem-file'
          ? `${key.export({ type: 'pkcs8', format: 'pem' })}${[leafPem, ...certificates.filter((c) => c !== leafPem)].join('\n')}\n`
          : Buffer.from(
              buildPkcs12({
                privateKey: keyPem,
                certificate: leafPem,
                chain: certificates.filter((c) => c !== leafPem),
                password: '',
              }),
            ).toString('base64'),
      tags: readTags(input.tags),
      enabled: attributes.enabled !== false,
      created: Math.floor(Date.now() / 1000) + existing.length,
    };
    store.set(name, [...existing, created]);
    return created;
  };

  /** One page of a Key Vault list: `maxresults` (1-25), `$skiptoken` in an absolute nextLink, as the service pages. */
  const listPage = <T>(request: FakeRequest, kind: 'certificates' | 'secrets', items: T[]) => {
    const maxText = request.url.searchParams.get('maxresults');
    const max = maxText === null ? 25 : Number(maxText);
    if (!Number.isInteger(max) || max < 1 || max > 25) {
      throw new KvError(400, 'BadParameter', 'Invalid maxresults: the value must be between 1 and 25.');
    }
    const token = request.url.searchParams.get('$skiptoken');
    let offset = 0;
    if (token !== null) {
      const saved = skipTokens.get(token);
      if (saved === undefined) throw new KvError(400, 'BadParameter', 'The skip token is not valid.');
      offset = saved;
    }
    const page = items.slice(offset, offset + Math.min(max, listPageSize));
    let nextLink: string | null = null;
    if (offset + page.length < items.length) {
      const next = randomBytes(12).toString('base64url');
      skipTokens.set(next, offset + page.length);
      nextLink = `${vaultUrl()}/${kind}?api-version=${request.url.searchParams.get('api-version')}&$skiptoken=${next}&maxresults=${max}`;
    }
    return { value: page, nextLink };
  };
  const certificateListItem = (name: string, v: FakeKeyVaultVersion) => {
    const { policy: _policy, cer: _cer, kid: _kid, sid: _sid, id: _id, ...item } = bundle(name, v);
    return { id: `${vaultUrl()}/certificates/${name}`, ...item };
  };
  const readSecret = (name: string, version: string | undefined) => {
    const plain = plainSecrets.get(name);
    if (plain?.length) {
      const found = version ? plain.find((v) => v.version === version) : plain.at(-1);
      if (!found) {
        throw new KvError(
          404,
          'SecretNotFound',
          `A secret with (name/id) ${name}/${version} was not found in this key vault.`,
        );
      }
      if (!found.enabled) throw new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
      return {
        value: found.value,
        ...(found.contentType && { contentType: found.contentType }),
        id: `${vaultUrl()}/secrets/${name}/${found.version}`,
        attributes: { enabled: found.enabled, created: found.created, updated: found.created },
        tags: found.tags,
      };
    }
    if (!store.get(name)?.length) {
      throw new KvError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      );
    }
    const found = findVersion(name, version);
    if (!found.enabled) throw new KvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
    return {
      value: found.secretValue,
      contentType: found.contentType,
      id: `${vaultUrl()}/secrets/${name}/${found.version}`,
      kid: `${vaultUrl()}/keys/${name}/${found.version}`,
      managed: true,
      attributes: { enabled: found.enabled, created: found.created, updated: found.created },
      tags: found.tags,
    };
  };

  const withAuth =
    (permission: string, operation: KeyVaultOperation, run: (request: FakeRequest) => unknown) =>
    (request: FakeRequest): FakeResponse => {
      try {
        const apiVersion = request.url.searchParams.get('api-version');
        if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
          throw new KvError(
            400,
            'BadParameter',
            `The specified version (${apiVersion ?? ''}) is not recognized. Consider using the latest supported version (2025-07-01).`,
          );
        }
        authorize(request, permission);
        const fault = takeFault(operation);
        if (fault && !fault.applied) return faultResponse(fault);
        const body = request.body.length ? parseJsonBody(request.text()) : {};
        if (request.body.length && !isRecord(body))
          throw new KvError(400, 'BadParameter', 'The request body is not valid JSON.');
        const answer = run({ ...request, json: () => body });
        if (fault) return faultResponse(fault);
        return kvOk(answer);
      } catch (error) {
        if (error instanceof KvError) {
          return kvError(
            error.status,
            error.code,
            error.message,
            error.status === 401 ? { 'www-authenticate': challenge() } : {},
          );
        }
        throw error;
      }
    };

  const vault = await startFakeVendor({
    ca,
    routes: {
      'POST /certificates/:name/import': withAuth('certificates/import', 'importCertificate', (request) => {
        const created = importVersion(request.params.name!, request.json() as Record<string, unknown>);
        return bundle(request.params.name!, created);
      }),
      'GET /certificates/:name/versions': withAuth('certificates/list', 'listCertificateVersions', (request) => ({
        value: versionsOf(request.params.name!).map((v) => {
          const { policy: _policy, cer: _cer, kid: _kid, sid: _sid, ...item } = bundle(request.params.name!, v);
          return item;
        }),
        nextLink: null,
      })),
      'GET /certificates/:name/': withAuth('certificates/get', 'getCertificate', (request) =>
        bundle(request.params.name!, findVersion(request.params.name!, undefined)),
      ),
      'GET /certificates/:name': withAuth('certificates/get', 'getCertificate', (request) =>
        bundle(request.params.name!, findVersion(request.params.name!, undefined)),
      ),
      'GET /certificates/:name/:version': withAuth('certificates/get', 'getCertificate', (request) =>
        bundle(request.params.name!, findVersion(request.params.name!, request.params.version)),
      ),
      'PATCH /certificates/:name/:version': withAuth('certificates/update', 'updateCertificate', (request) => {
        const found = findVersion(request.params.name!, request.params.version || undefined);
        const body = request.json() as Record<string, unknown>;
        if (isRecord(body.attributes) && typeof body.attributes.enabled === 'boolean')
          found.enabled = body.attributes.enabled;
        if (body.tags !== undefined) found.tags = readTags(body.tags);
        return bundle(request.params.name!, found);
      }),
      'GET /certificates': withAuth('certificates/list', 'listCertificates', (request) =>
        listPage(
          request,
          'certificates',
          [...store.entries()]
            .filter(([, versions]) => versions.length > 0)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, versions]) => certificateListItem(name, versions.at(-1)!)),
        ),
      ),
      // Secrets list: plain secrets and the backing secrets of certificates (`managed: true`), as the service lists them.
      'GET /secrets': withAuth('secrets/list', 'listSecrets', (request) =>
        listPage(
          request,
          'secrets',
          [
            ...[...plainSecrets.entries()].map(([name, versions]) => {
              const latest = versions.at(-1)!;
              return {
                name,
                item: {
                  id: `${vaultUrl()}/secrets/${name}`,
                  ...(latest.contentType && { contentType: latest.contentType }),
                  attributes: { enabled: latest.enabled, created: latest.created, updated: latest.created },
                  tags: latest.tags,
                },
              };
            }),
            ...[...store.entries()]
              .filter(([, versions]) => versions.length > 0)
              .map(([name, versions]) => {
                const latest = versions.at(-1)!;
                return {
                  name,
                  item: {
                    id: `${vaultUrl()}/secrets/${name}`,
                    contentType: latest.contentType,
                    managed: true,
                    attributes: { enabled: latest.enabled, created: latest.created, updated: latest.created },
                    tags: latest.tags,
                  },
                };
              }),
          ]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((entry) => entry.item),
        ),
      ),
      'GET /secrets/:name/:version': withAuth('secrets/get', 'getSecret', (request) =>
        readSecret(request.params.name!, request.params.version || undefined),
      ),
      'GET /secrets/:name/': withAuth('secrets/get', 'getSecret', (request) =>
        readSecret(request.params.name!, undefined),
      ),
      'GET /secrets/:name': withAuth('secrets/get', 'getSecret', (request) =>
        readSecret(request.params.name!, undefined),
      ),
    },
    handler: (request) =>
      kvError(400, 'BadParameter', `The request URI ${request.method} ${request.path} is not supported by the fake.`),
  });

  return {
    vaultUrl: vault.url,
    authorityHost: aad.url,
    identityEndpoint: `${identity.url}/msi/token`,
    identityHeader,
    caPem: ca.certificatePem,
    tenantId,
    clientId,
    clientSecret,
    managedIdentityClientId,
    resource,
    requests: vault.requests,
    aadRequests: aad.requests,
    versions: (name) => [...(store.get(name) ?? [])],
    latest: (name) => store.get(name)?.at(-1),
    failNext(operation, fault) {
      const queue = faults.get(operation) ?? [];
      queue.push({ ...fault });
      faults.set(operation, queue);
    },
    revoke: (principal, permission) => void policies.get(principal)?.delete(permission),
    grant: (principal, permission) => {
      const set = policies.get(principal) ?? new Set<string>();
      set.add(permission);
      policies.set(principal, set);
    },
    softDelete: (name) => void softDeleted.add(name),
    addCertificate(name, input) {
      const created = importVersion(name, {
        value: `${input.keyPem}${input.certificatePem}${input.chainPem ?? ''}`,
        policy: { secret_props: { contentType: 'application/x-pem-file' } },
        tags: input.tags,
        attributes: { enabled: input.enabled ?? true },
      });
      return created;
    },
    addSecret(name, input) {
      if (!NAME.test(name)) throw new Error(`invalid Key Vault name ${name}`);
      if (store.has(name)) throw new Error(`${name} is a certificate's backing secret`);
      const existing = plainSecrets.get(name) ?? [];
      const created: FakeKeyVaultPlainSecret = {
        version: randomBytes(16).toString('hex'),
        value: input.value,
        ...(input.contentType && { contentType: input.contentType }),
        tags: input.tags ?? {},
        enabled: input.enabled ?? true,
        created: Math.floor(Date.now() / 1000) + existing.length,
      };
      plainSecrets.set(name, [...existing, created]);
      return created;
    },
    async close() {
      await Promise.all([vault.close(), aad.close(), identity.close()]);
    },
  };
}
