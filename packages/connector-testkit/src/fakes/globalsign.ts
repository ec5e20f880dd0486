import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, createTestCsr, randomSerial, type TestCa, type TestLeaf } from '../test-pki.js';
import { type ClientCredential, fingerprintHex, issueClientCredential, signCsr } from './fake-ca-signing.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** What an Atlas API key may do. */
export type AtlasPermission = 'issue' | 'retrieve' | 'revoke' | 'stats';

/** The role names the Atlas portal shows; the fake's 403 descriptions use them. */
export const ATLAS_PERMISSION_NAMES: Record<AtlasPermission, string> = {
  issue: 'Certificate Issuance',
  retrieve: 'Certificate Retrieval',
  revoke: 'Certificate Revocation',
  stats: 'Statistics',
};

export type AtlasCertificateState = 'PENDING' | 'ISSUED' | 'REVOKED' | 'FAILED';

export interface AtlasFakeCertificate {
  serial: string;
  state: AtlasCertificateState;
  csrPem: string;
  commonName: string;
  dns: string[];
  notBefore: number;
  notAfter: number;
  leaf?: TestLeaf;
  failure?: string;
  /** GETs answered 202 so far. */
  pendingPolls: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface FakeGlobalSignOptions {
  /** Verified domain claims of the account; certificates for other names are refused (422). */
  domains?: string[];
  /** Token lifetime the fake enforces; default 600 s, as the HVCA documentation states. */
  tokenLifetimeSeconds?: number;
  /** How many GETs of a new certificate answer 202 before it is issued; default 1. */
  pendingPolls?: number;
  /** The fake's idea of now (token expiry); default the wall clock. */
  now?: () => number;
}

export interface FakeGlobalSign {
  /** `https://127.0.0.1:<port>/v2`: what `api_url` points at. */
  apiUrl: string;
  url: string;
  /** PEM of the CA behind the fake's TLS certificate (for `server_ca_path`). */
  serverCaPem: string;
  /** The CA that signs issued certificates (for `openssl verify`); `/trustchain` returns it. */
  issuingCa: TestCa;
  apiKey: string;
  apiSecret: string;
  vendor: FakeVendor;
  faults: FaultQueue;
  certificates: Map<string, AtlasFakeCertificate>;
  /** Number of successful logins (token refreshes). */
  readonly logins: number;
  /** The client certificate bound to the account's API key (mTLS). */
  clientCredential(name: string): Promise<ClientCredential>;
  /** A client certificate the fake's CA signed but no API key is bound to. */
  unboundCredential(name: string): Promise<ClientCredential>;
  /** A client certificate from a CA the fake does not trust (the handshake fails). */
  strangerCredential(): Promise<ClientCredential>;
  /** Another API key and secret with only these permissions, bound to the same client certificates. */
  addApiKey(permissions: AtlasPermission[]): { apiKey: string; apiSecret: string };
  /** Keep new certificates pending until `release` (a slow validation). */
  holdIssuance(on: boolean): void;
  /** Issues a held certificate. */
  release(serial: string): Promise<void>;
  /** Fails a pending certificate with Atlas' description. */
  fail(serial: string, description: string): void;
  /** Invalidates every access token now (as if they had expired). */
  expireTokens(): void;
  /** Certificates issued before the test. */
  seedExisting(count: number): Promise<AtlasFakeCertificate[]>;
  /** The next request gets 429 with Retry-After. */
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

function problem(status: number, description: string, headers: Record<string, string> = {}): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify({ description }),
  };
}

function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A fake GlobalSign Atlas HVCA API (`/v2`) on HTTPS that requires a client certificate from its own
 * CA (dual authentication): `POST /login` exchanges the API key and secret for a bearer token that
 * expires (600 s by default) and only works with a client certificate bound to that key;
 * `POST /certificates` (csr, subject_dn, san, validity) answers 201 with the serial in `Location`;
 * `GET /certificates/{serial}` answers 202 while validation runs, then `{certificate, status,
 * updated_at}`; `DELETE /certificates/{serial}` revokes; `GET /trustchain`, `GET /validationpolicy`,
 * `GET /stats/issued` (paginated, `Total-Count`). Errors are `application/problem+json`
 * `{description}`; 403 names the role the key lacks; 429 with Retry-After through `rateLimitNext`.
 */
export async function startFakeGlobalSign(options: FakeGlobalSignOptions = {}): Promise<FakeGlobalSign> {
  const clientCa = await createTestCa({ commonName: 'GlobalSign fake client CA' });
  const issuingCa = await createTestCa({ commonName: 'GlobalSign fake Atlas issuing CA' });
  const faults = createFaultQueue();
  const certificates = new Map<string, AtlasFakeCertificate>();
  const domains = options.domains ?? ['example.test', 'conformance.example.test', 'example.com'];
  const lifetimeMs = (options.tokenLifetimeSeconds ?? 600) * 1000;
  const pendingPollsDefault = options.pendingPolls ?? 1;
  const now = options.now ?? Date.now;
  const boundCertificates = new Set<string>();
  const keys = new Map<string, { secret: string; permissions: Set<AtlasPermission> }>();
  const apiKey = randomBytes(8).toString('hex');
  const apiSecret = randomBytes(24).toString('base64url');
  keys.set(apiKey, { secret: apiSecret, permissions: new Set(['issue', 'retrieve', 'revoke', 'stats']) });
  const tokens = new Map<string, { apiKey: string; expiresAt: number }>();
  let logins = 0;
  let hold = false;

  const issue = async (cert: AtlasFakeCertificate): Promise<void> => {
    const signed = await signCsr(issuingCa, cert.csrPem, {
      validitySeconds: cert.notAfter - Math.floor(Date.now() / 1000),
      dns: cert.dns,
      serial: cert.serial,
    });
    if (!signed.ok) {
      cert.state = 'FAILED';
      cert.failure = signed.problem;
    } else {
      cert.leaf = signed.leaf;
      cert.state = 'ISSUED';
    }
    cert.updatedAt = new Date();
  };

  const authorised = (r: FakeRequest, need: AtlasPermission): FakeResponse | undefined => {
    const m = /^Bearer (\S+)$/.exec(r.headers.authorization ?? '');
    const token = m ? tokens.get(m[1]!) : undefined;
    if (!token) return problem(401, 'Unauthorized: missing or invalid access token');
    if (token.expiresAt <= now()) {
      tokens.delete(m![1]!);
      return problem(401, 'Unauthorized: access token has expired');
    }
    const key = keys.get(token.apiKey);
    if (!key?.permissions.has(need))
      return problem(403, `Forbidden: the API key does not have the '${ATLAS_PERMISSION_NAMES[need]}' role`);
    return undefined;
  };

  const routes: Record<string, (r: FakeRequest) => FakeResponse | Promise<FakeResponse>> = {
    'POST /v2/login': (r) => {
      const body = parseJsonBody(r.text());
      if (!isRecord(body) || typeof body.api_key !== 'string' || typeof body.api_secret !== 'string')
        return problem(400, 'api_key and api_secret are required');
      const key = keys.get(body.api_key);
      if (!key || !sameSecret(body.api_secret, key.secret)) return problem(401, 'Invalid API key or secret');
      const cert = r.clientCertificate;
      if (!cert || !boundCertificates.has(fingerprintHex(cert.fingerprint256)))
        return problem(401, 'The client certificate is not bound to this API key');
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, { apiKey: body.api_key, expiresAt: now() + lifetimeMs });
      logins++;
      return { body: { access_token: token } };
    },
    'POST /v2/certificates': async (r) => {
      const denied = authorised(r, 'issue');
      if (denied) return denied;
      const body = parseJsonBody(r.text());
      if (!isRecord(body)) return problem(400, 'The request body is not valid JSON');
      const validity = isRecord(body.validity) ? body.validity : undefined;
      if (!validity || !Number.isInteger(validity.not_before) || !Number.isInteger(validity.not_after))
        return problem(422, 'validity.not_before and validity.not_after must be UNIX times');
      if ((validity.not_after as number) <= (validity.not_before as number))
        return problem(422, 'validity.not_after must be after validity.not_before');
      const subject = isRecord(body.subject_dn) ? body.subject_dn : undefined;
      if (!subject || typeof subject.common_name !== 'string' || !subject.common_name)
        return problem(422, 'subject_dn.common_name is required by the validation policy');
      const san = isRecord(body.san) ? body.san : {};
      const dns = Array.isArray(san.dns_names) ? san.dns_names.map(String) : [];
      if (typeof body.csr !== 'string') return problem(422, 'one of csr or public_key is required');
      for (const name of [subject.common_name, ...dns]) {
        const bare = name.replace(/^\*\./, '').toLowerCase();
        if (!domains.some((d) => bare === d || bare.endsWith(`.${d}`)))
          return problem(422, `Domain ${name} has no verified claim in this account`);
      }
      const check = await signCsr(issuingCa, body.csr, { validitySeconds: 60, dns });
      if (!check.ok) return problem(422, `Invalid CSR: ${check.problem}`);
      const cert: AtlasFakeCertificate = {
        serial: randomSerial(),
        state: 'PENDING',
        csrPem: body.csr,
        commonName: subject.common_name,
        dns: dns.length > 0 ? dns : [subject.common_name],
        notBefore: validity.not_before as number,
        notAfter: validity.not_after as number,
        pendingPolls: 0,
        createdAt: new Date(),
        updatedAt: new Date(),
      };
      certificates.set(cert.serial, cert);
      return { status: 201, headers: { location: `${vendor.url}/v2/certificates/${cert.serial.toUpperCase()}` } };
    },
    'GET /v2/certificates/:serial': async (r) => {
      const denied = authorised(r, 'retrieve');
      if (denied) return denied;
      const cert = certificates.get(r.params.serial!.toLowerCase());
      if (!cert) return problem(404, 'Certificate not found');
      if (cert.state === 'PENDING' && !hold && cert.pendingPolls >= pendingPollsDefault) await issue(cert);
      if (cert.state === 'PENDING') {
        cert.pendingPolls++;
        return { status: 202, headers: { 'retry-after': '1' } };
      }
      if (cert.state === 'FAILED') return problem(422, cert.failure ?? 'Certificate issuance failed');
      return {
        body: {
          certificate: cert.leaf!.certificatePem,
          status: cert.state,
          updated_at: Math.floor(cert.updatedAt.getTime() / 1000),
        },
      };
    },
    'DELETE /v2/certificates/:serial': (r) => {
      const denied = authorised(r, 'revoke');
      if (denied) return denied;
      const cert = certificates.get(r.params.serial!.toLowerCase());
      if (!cert || cert.state === 'PENDING' || cert.state === 'FAILED') return problem(404, 'Certificate not found');
      if (cert.state === 'REVOKED') return problem(409, 'Certificate is already revoked');
      cert.state = 'REVOKED';
      cert.updatedAt = new Date();
      return { status: 204 };
    },
    'GET /v2/trustchain': (r) => authorised(r, 'retrieve') ?? { body: [issuingCa.certificatePem] },
    'GET /v2/validationpolicy': (r) =>
      authorised(r, 'retrieve') ?? {
        body: {
          validity: { secondsmin: 60, secondsmax: 398 * 86_400, not_before_negative_skew: 120 },
          subject_dn: { common_name: { presence: 'REQUIRED', format: '^.*$' } },
          san: { dns_names: { static: false, list: domains.map((d) => `^(.*\\.)?${d.replace(/\./g, '\\.')}$`) } },
          public_key_signature: 'FORBIDDEN',
        },
      },
    'GET /v2/stats/issued': (r) => {
      const denied = authorised(r, 'stats');
      if (denied) return denied;
      const q = r.url.searchParams;
      const page = Number(q.get('page') ?? '1');
      const perPage = Math.min(Number(q.get('per_page') ?? '100'), 100);
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1)
        return problem(400, 'page and per_page must be positive integers');
      const from = Number(q.get('from') ?? '0');
      const to = Number(q.get('to') ?? String(Number.MAX_SAFE_INTEGER));
      const issued = [...certificates.values()]
        .filter((c) => c.leaf && (c.state === 'ISSUED' || c.state === 'REVOKED'))
        .filter((c) => c.createdAt.getTime() / 1000 >= from && c.createdAt.getTime() / 1000 <= to)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      return {
        headers: { 'total-count': String(issued.length) },
        body: issued.slice((page - 1) * perPage, page * perPage).map((c) => ({
          serial_number: c.serial.toUpperCase(),
          not_before: Math.floor(c.leaf!.notBefore.getTime() / 1000),
          not_after: Math.floor(c.leaf!.notAfter.getTime() / 1000),
        })),
      };
    },
  };

  const vendor = await startFakeVendor({
    clientCa: clientCa.certificatePem,
    routes: Object.fromEntries(
      Object.entries(routes).map(([key, handler]) => [key, (r: FakeRequest) => faults.take() ?? handler(r)]),
    ),
  });

  return {
    apiUrl: `${vendor.url}/v2`,
    url: vendor.url,
    serverCaPem: vendor.caPem!,
    issuingCa,
    apiKey,
    apiSecret,
    vendor,
    faults,
    certificates,
    get logins() {
      return logins;
    },
    async clientCredential(name) {
      const credential = await issueClientCredential(clientCa, name);
      boundCertificates.add(credential.fingerprint);
      return credential;
    },
    unboundCredential: (name) => issueClientCredential(clientCa, name),
    async strangerCredential() {
      return issueClientCredential(await createTestCa({ commonName: 'Not GlobalSign' }), 'stranger');
    },
    addApiKey(permissions) {
      const key = randomBytes(8).toString('hex');
      const secret = randomBytes(24).toString('base64url');
      keys.set(key, { secret, permissions: new Set(permissions) });
      return { apiKey: key, apiSecret: secret };
    },
    holdIssuance(on) {
      hold = on;
    },
    async release(serial) {
      const cert = certificates.get(serial.toLowerCase());
      if (cert?.state !== 'PENDING') throw new Error(`no pending Atlas certificate ${serial}`);
      await issue(cert);
    },
    fail(serial, description) {
      const cert = certificates.get(serial.toLowerCase());
      if (cert?.state !== 'PENDING') throw new Error(`no pending Atlas certificate ${serial}`);
      cert.state = 'FAILED';
      cert.failure = description;
      cert.updatedAt = new Date();
    },
    expireTokens() {
      tokens.clear();
    },
    async seedExisting(count) {
      const seeded: AtlasFakeCertificate[] = [];
      for (let i = 0; i < count; i++) {
        const commonName = `existing-${i}.example.test`;
        const csr = await createTestCsr({ commonName });
        const nowSeconds = Math.floor(Date.now() / 1000);
        const cert: AtlasFakeCertificate = {
          serial: randomSerial(),
          state: 'PENDING',
          csrPem: csr.csrPem,
          commonName,
          dns: [commonName],
          notBefore: nowSeconds,
          notAfter: nowSeconds + 90 * 86_400,
          pendingPolls: 0,
          createdAt: new Date(Date.now() - 86_400_000),
          updatedAt: new Date(),
        };
        await issue(cert);
        certificates.set(cert.serial, cert);
        seeded.push(cert);
      }
      return seeded;
    },
    rateLimitNext(seconds) {
      faults.push(problem(429, 'Too many requests', { 'retry-after': String(seconds) }));
    },
    close: () => vendor.close(),
  };
}
