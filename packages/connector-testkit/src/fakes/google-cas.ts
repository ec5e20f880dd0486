import { generateKeyPairSync, randomBytes, verify as verifySignature, X509Certificate } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, normalizeSerial, type TestCa } from '../test-pki.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';
import { signCsr } from './fake-ca-signing.js';

/** The IAM permissions the CAS methods certctl calls require. */
export type CasPermission =
  | 'privateca.certificates.create'
  | 'privateca.certificates.update'
  | 'privateca.certificates.get'
  | 'privateca.certificates.list'
  | 'privateca.certificateAuthorities.get'
  | 'privateca.certificateAuthorities.list'
  | 'privateca.caPools.get';

/** google.cloud.security.privateca.v1.Certificate.RevocationDetails reasons, by enum number. */
const REVOCATION_REASONS = [
  'REVOCATION_REASON_UNSPECIFIED',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'CERTIFICATE_HOLD',
  'PRIVILEGE_WITHDRAWN',
  'ATTRIBUTE_AUTHORITY_COMPROMISE',
];

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface FakeCasCertificate {
  name: string;
  serial: string;
  pemCertificate: string;
  /** The `lifetime` the request asked for, e.g. `2592000s`. */
  lifetime: string;
  issuingCertificateAuthorityId?: string;
  certificateTemplate?: string;
  requestId?: string;
  revocation?: { reason: string; time: string };
  createTime: string;
}

export interface FakeGoogleCas {
  /** `http://127.0.0.1:<port>`: the API endpoint (REST, as the client library's fallback transport speaks it). */
  endpoint: string;
  /** The OAuth2 token endpoint, `<endpoint>/token`. */
  tokenUrl: string;
  project: string;
  location: string;
  caPool: string;
  /** `projects/<project>/locations/<location>/caPools/<pool>`. */
  caPoolName: string;
  /** The one enabled CA of the pool. */
  caId: string;
  ca: TestCa;
  /**
   * `127.0.0.1:<port>`: the same server answers as a GCE/GKE metadata server (the value for
   * `GCE_METADATA_HOST`), handing out tokens of the attached service account: ambient credentials.
   */
  metadataHost: string;
  /** A service account key (JSON text) whose JWTs the token endpoint accepts. */
  serviceAccountKeyJson: string;
  serviceAccountEmail: string;
  certificates: Map<string, FakeCasCertificate>;
  /** Removes a permission from the service account: calls needing it answer 403 PERMISSION_DENIED. */
  deny(permission: CasPermission): void;
  allow(permission: CasPermission): void;
  /** Access tokens handed out so far. */
  readonly tokensIssued: number;
  faults: FaultQueue;
  /** The next API request answers 429 RESOURCE_EXHAUSTED with `Retry-After: seconds` (quota exceeded). */
  rateLimitNext(seconds: number): void;
  vendor: FakeVendor;
  close(): Promise<void>;
}

const googleError = (code: number, status: string, message: string, details: unknown[] = []): FakeResponse => ({
  status: code,
  headers: { 'content-type': 'application/json; charset=UTF-8' },
  body: { error: { code, message, status, details } },
});

/**
 * A fake Google Certificate Authority Service (privateca v1 REST, as the Node client library's REST
 * fallback transport calls it) with its OAuth2 token endpoint: the service account's JWT-bearer
 * assertion (RS256, `kid`, `aud`, `scope`, `exp`) is verified with the key's public half before an
 * access token is issued; every API call needs a live token; per-permission IAM denials answer 403
 * PERMISSION_DENIED with an `ErrorInfo` naming the permission, as Google does. Methods: caPools.get,
 * certificates.create (`certificateId`, `requestId`, `issuingCertificateAuthorityId`, `pemCsr`,
 * `lifetime`), certificates.get/list (serial filter), certificates.revoke, caPools.fetchCaCerts,
 * certificateAuthorities.get. It also answers as a GCE metadata server (ambient credentials).
 * Certificates are really signed by the pool's CA.
 */
export async function startFakeGoogleCas(
  options: { project?: string; location?: string; caPool?: string; caId?: string } = {},
): Promise<FakeGoogleCas> {
  const project = options.project ?? 'certctl-test';
  const location = options.location ?? 'us-central1';
  const caPool = options.caPool ?? 'certctl-pool';
  const caId = options.caId ?? 'certctl-ca';
  const caPoolName = `projects/${project}/locations/${location}/caPools/${caPool}`;
  const caName = `${caPoolName}/certificateAuthorities/${caId}`;
  const ca = await createTestCa({ commonName: 'fake Google CAS CA' });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = randomBytes(20).toString('hex');
  const serviceAccountEmail = `certctl@${project}.iam.gserviceaccount.com`;
  const denied = new Set<CasPermission>();
  const tokens = new Map<string, number>();
  const certificates = new Map<string, FakeCasCertificate>();
  const faults = createFaultQueue();
  let tokensIssued = 0;
  let tokenUrl = '';

  const tokenEndpoint = (request: FakeRequest): FakeResponse => {
    const invalid = (error: string, description: string) => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      return invalid('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const form = new URLSearchParams(request.text());
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return invalid('unsupported_grant_type', 'Invalid grant_type: ');
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3)
      return invalid('invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      return invalid('invalid_grant', 'Invalid JWT.');
    }
    if (header.alg !== 'RS256') return invalid('invalid_grant', 'Invalid JWT Signature.');
    if (header.kid !== undefined && header.kid !== keyId) return invalid('invalid_grant', 'Invalid JWT Signature.');
    const signed = verifySignature(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
    if (!signed) return invalid('invalid_grant', 'Invalid JWT Signature.');
    if (claims.iss !== serviceAccountEmail)
      return invalid('invalid_grant', 'Invalid issuer: service account not found');
    if (claims.aud !== tokenUrl) return invalid('invalid_grant', `Invalid JWT: audience must be ${tokenUrl}`);
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof claims.iat !== 'number' ||
      typeof claims.exp !== 'number' ||
      claims.exp <= now ||
      claims.iat > now + 300 ||
      claims.exp - claims.iat > 3600
    )
      return invalid(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(SCOPE))
      return invalid('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, Date.now() + 3600_000);
    tokensIssued++;
    return { body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  };

  /** 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, or undefined when the caller holds `permission` on `resource`. */
  const authorize = (request: FakeRequest, permission: CasPermission, resource: string): FakeResponse | undefined => {
    const header = request.headers.authorization ?? '';
    const expires = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
    if (expires === undefined || expires < Date.now()) {
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    if (denied.has(permission)) {
      return googleError(
        403,
        'PERMISSION_DENIED',
        `Permission '${permission}' denied on resource '//privateca.googleapis.com/${resource}' (or it may not exist).`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'privateca.googleapis.com',
            metadata: { permission, resource },
          },
        ],
      );
    }
    return undefined;
  };

  const notFound = (name: string) => googleError(404, 'NOT_FOUND', `Resource '${name}' was not found`);
  const certificateJson = (c: FakeCasCertificate) => {
    const leaf = new X509Certificate(c.pemCertificate);
    return {
      name: c.name,
      lifetime: c.lifetime,
      pemCertificate: c.pemCertificate,
      pemCertificateChain: [ca.certificatePem],
      issuerCertificateAuthority: caName,
      createTime: c.createTime,
      updateTime: c.revocation?.time ?? c.createTime,
      ...(c.revocation
        ? { revocationDetails: { revocationState: c.revocation.reason, revocationTime: c.revocation.time } }
        : {}),
      certificateDescription: {
        subjectDescription: {
          hexSerialNumber: c.serial,
          lifetime: c.lifetime,
          notBeforeTime: new Date(leaf.validFrom).toISOString(),
          notAfterTime: new Date(leaf.validTo).toISOString(),
        },
      },
    };
  };

  const createCertificate = async (request: FakeRequest): Promise<FakeResponse> => {
    const refusal = authorize(request, 'privateca.certificates.create', caPoolName);
    if (refusal) return refusal;
    const certificateId = request.url.searchParams.get('certificateId') ?? '';
    const requestId = request.url.searchParams.get('requestId') ?? undefined;
    const issuer = request.url.searchParams.get('issuingCertificateAuthorityId') ?? undefined;
    if (requestId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(requestId))
      return googleError(400, 'INVALID_ARGUMENT', 'request_id must be a valid UUID');
    if (!/^[a-zA-Z0-9_-]{1,63}$/.test(certificateId))
      return googleError(
        400,
        'INVALID_ARGUMENT',
        'certificate_id must match [a-zA-Z0-9_-]{1,63} in an Enterprise tier CA pool',
      );
    if (issuer !== undefined && issuer !== caId) return notFound(`${caPoolName}/certificateAuthorities/${issuer}`);
    const body = parseJsonBody(request.text());
    if (!isRecord(body)) return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    const name = `${caPoolName}/certificates/${certificateId}`;
    const existing = certificates.get(name);
    if (existing) {
      if (requestId && existing.requestId === requestId) return { body: certificateJson(existing) };
      return googleError(409, 'ALREADY_EXISTS', `Resource '${name}' already exists`);
    }
    if (typeof body.lifetime !== 'string' || !/^\d+(\.\d+)?s$/.test(body.lifetime))
      return googleError(400, 'INVALID_ARGUMENT', 'certificate.lifetime is required (a duration such as "2592000s")');
    const lifetimeSeconds = Math.floor(Number(body.lifetime.slice(0, -1)));
    if (lifetimeSeconds < 1) return googleError(400, 'INVALID_ARGUMENT', 'certificate.lifetime must be positive');
    if (typeof body.pemCsr !== 'string') return googleError(400, 'INVALID_ARGUMENT', 'certificate.pem_csr is required');
    const template = body.certificateTemplate;
    if (
      template !== undefined &&
      (typeof template !== 'string' ||
        !template.startsWith(`projects/${project}/locations/${location}/certificateTemplates/`))
    )
      return notFound(String(template));

    const signed = await signCsr(ca, body.pemCsr, { validitySeconds: lifetimeSeconds });
    if (!signed.ok)
      return googleError(400, 'INVALID_ARGUMENT', `Failed to parse certificate.pem_csr: ${signed.problem}`);
    const { leaf } = signed;
    const record: FakeCasCertificate = {
      name,
      serial: leaf.serial,
      pemCertificate: leaf.certificatePem,
      lifetime: `${lifetimeSeconds}s`,
      createTime: new Date().toISOString(),
      ...(issuer ? { issuingCertificateAuthorityId: issuer } : {}),
      ...(typeof template === 'string' ? { certificateTemplate: template } : {}),
      ...(requestId ? { requestId } : {}),
    };
    certificates.set(name, record);
    return { body: certificateJson(record) };
  };

  const revokeCertificate = (request: FakeRequest, name: string): FakeResponse => {
    const refusal = authorize(request, 'privateca.certificates.update', name);
    if (refusal) return refusal;
    const record = certificates.get(name);
    if (!record) return notFound(name);
    const body = parseJsonBody(request.text());
    if (!isRecord(body)) return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    const reason = typeof body.reason === 'number' ? REVOCATION_REASONS[body.reason] : body.reason;
    if (typeof reason !== 'string' || !REVOCATION_REASONS.includes(reason))
      return googleError(400, 'INVALID_ARGUMENT', `Invalid value for enum field reason: ${String(body.reason)}`);
    if (record.revocation) return googleError(400, 'FAILED_PRECONDITION', 'Certificate has already been revoked.');
    record.revocation = { reason, time: new Date().toISOString() };
    return { body: certificateJson(record) };
  };

  /** The metadata server: every answer carries `Metadata-Flavor: Google`, every request must. */
  const metadataServer = (request: FakeRequest): FakeResponse => {
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/text' };
    if (request.headers['metadata-flavor'] !== 'Google')
      return { status: 403, headers, body: 'Missing Metadata-Flavor:Google header.' };
    const path = request.path.replace(/\/+$/, '');
    if (path === '/computeMetadata/v1/instance') return { headers, body: '' };
    if (path === '/computeMetadata/v1/project/project-id') return { headers, body: project };
    if (path === '/computeMetadata/v1/universe/universe-domain') return { headers, body: 'googleapis.com' };
    if (path === '/computeMetadata/v1/instance/service-accounts/default/email')
      return { headers, body: serviceAccountEmail };
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      const accessToken = `ya29.fake-metadata-${randomBytes(24).toString('base64url')}`;
      tokens.set(accessToken, Date.now() + 3600_000);
      tokensIssued++;
      return {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: accessToken, expires_in: 3599, token_type: 'Bearer' }),
      };
    }
    return { status: 404, headers, body: 'Not Found' };
  };

  const handler = async (request: FakeRequest): Promise<FakeResponse> => {
    if (request.method === 'POST' && request.path === '/token') return tokenEndpoint(request);
    if (request.method === 'GET' && request.path.startsWith('/computeMetadata/')) return metadataServer(request);
    const fault = faults.take();
    if (fault) return fault;
    const path = decodeURIComponent(request.path);
    if (!path.startsWith('/v1/')) return notFound(path);
    const resource = path.slice(4);
    const [target, verb] = resource.split(/:(?=[a-zA-Z]+$)/) as [string, string | undefined];
    if (request.method === 'GET' && target === caPoolName && !verb) {
      return (
        authorize(request, 'privateca.caPools.get', caPoolName) ?? { body: { name: caPoolName, tier: 'ENTERPRISE' } }
      );
    }
    if (request.method === 'POST' && target === caPoolName && verb === 'fetchCaCerts') {
      return (
        authorize(request, 'privateca.certificateAuthorities.list', caPoolName) ?? {
          body: { caCerts: [{ certificates: [ca.certificatePem] }] },
        }
      );
    }
    if (request.method === 'GET' && target === caName && !verb) {
      return (
        authorize(request, 'privateca.certificateAuthorities.get', caName) ?? {
          body: {
            name: caName,
            type: 'SELF_SIGNED',
            tier: 'ENTERPRISE',
            state: 'ENABLED',
            pemCaCertificates: [ca.certificatePem],
          },
        }
      );
    }
    if (target === `${caPoolName}/certificates` && !verb) {
      if (request.method === 'POST') return createCertificate(request);
      if (request.method === 'GET') {
        const refusal = authorize(request, 'privateca.certificates.list', caPoolName);
        if (refusal) return refusal;
        const filter = request.url.searchParams.get('filter') ?? '';
        const serial =
          /^certificate_description\.subject_description\.hex_serial_number\s*=\s*"?([0-9a-fA-F]+)"?$/.exec(
            filter.trim(),
          );
        if (filter && !serial) return googleError(400, 'INVALID_ARGUMENT', `Invalid filter: ${filter}`);
        const found = [...certificates.values()].filter((c) => !serial || c.serial === normalizeSerial(serial[1]!));
        return { body: { certificates: found.map(certificateJson) } };
      }
    }
    if (target.startsWith(`${caPoolName}/certificates/`)) {
      if (request.method === 'POST' && verb === 'revoke') return revokeCertificate(request, target);
      if (request.method === 'GET' && !verb) {
        const refusal = authorize(request, 'privateca.certificates.get', target);
        if (refusal) return refusal;
        const record = certificates.get(target);
        return record ? { body: certificateJson(record) } : notFound(target);
      }
    }
    return notFound(resource);
  };

  const vendor = await startFakeVendor({ tls: false, handler });
  tokenUrl = `${vendor.url}/token`;
  const serviceAccountKeyJson = JSON.stringify(
    {
      type: 'service_account',
      project_id: project,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: serviceAccountEmail,
      client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE())),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUrl,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
  return {
    endpoint: vendor.url,
    tokenUrl,
    metadataHost: `127.0.0.1:${vendor.port}`,
    project,
    location,
    caPool,
    caPoolName,
    caId,
    ca,
    serviceAccountKeyJson,
    serviceAccountEmail,
    certificates,
    deny: (permission) => {
      denied.add(permission);
    },
    allow: (permission) => {
      denied.delete(permission);
    },
    get tokensIssued() {
      return tokensIssued;
    },
    faults,
    rateLimitNext(seconds) {
      const quota = googleError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Certificate requests' and limit 'Certificate requests per minute'.",
      );
      faults.push({ ...quota, headers: { ...quota.headers, 'retry-after': String(seconds) } });
    },
    vendor,
    close: () => vendor.close(),
  };
}
