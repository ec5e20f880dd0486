import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, type TestCa } from '../test-pki.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';
import { pemLines, readFakeCsr, signForFakeCa } from './fake-ca-signing.js';

/** An SSL certificate status as Sectigo Certificate Manager reports it. */
export type SectigoStatus = 'Requested' | 'Applied' | 'Issued' | 'Rejected' | 'Revoked' | 'Expired';

export interface SectigoFakeCertificate {
  sslId: number;
  orgId: number;
  certTypeId: number;
  term: number;
  status: SectigoStatus;
  commonName: string;
  subjAltNames: string[];
  csrPem?: string;
  comments: string;
  /** Set when Sectigo has issued it. */
  certificate?: { pem: string; serial: string; notBefore: Date; notAfter: Date };
  /** Collect calls answered "not collectable" after issuance, before the certificate can be downloaded. */
  collectNotReady: number;
  /** Status checks left before the fake administrator approves it on its own. */
  approveAfterChecks?: number;
  rejectReason?: string;
  revokeReason?: string;
  requested: Date;
}

export interface SectigoCertType {
  id: number;
  name: string;
  terms: number[];
}

export interface FakeSectigo {
  /** The REST base URL to configure (`<origin>/api`). */
  baseUrl: string;
  caPem?: string;
  issuingCa: TestCa;
  customerUri: string;
  login: string;
  password: string;
  /** A login whose role may not enroll or revoke (403). */
  readOnlyLogin: string;
  orgId: number;
  certTypes: SectigoCertType[];
  certificates: Map<number, SectigoFakeCertificate>;
  vendor: FakeVendor;
  faults: FaultQueue;
  /** What a new enrollment does: `issue` at once, wait for `approve`/`reject` (`pending`), or approve itself after n status checks. */
  approval: 'issue' | 'pending' | { afterChecks: number };
  /** How many collect calls answer "not collectable" after an issuance. */
  collectDelay: number;
  approve(sslId: number | string): Promise<SectigoFakeCertificate>;
  reject(sslId: number | string, reason: string): SectigoFakeCertificate;
  seedExistingCertificates(
    count: number,
    options?: { expired?: boolean; certTypeId?: number; domain?: string },
  ): Promise<number[]>;
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

/** Sectigo's error envelope: `{"code": <negative int>, "description": "..."}`. */
function scmError(
  status: number,
  code: number,
  description: string,
  headers: Record<string, string> = {},
): FakeResponse {
  return { status, headers, body: { code, description } };
}

/** SCM's collect answer while the certificate is not downloadable yet. */
export const SECTIGO_NOT_COLLECTABLE = { code: -183, description: 'Certificate is not collectable.' } as const;

const REVOKE_REASON_MAX = 512;

/**
 * A fake Sectigo Certificate Manager REST API, as Sectigo documents it: `customerUri`, `login` and
 * `password` headers on every call (401 code -16, 403 code -109 for a role without the right),
 * `POST /ssl/v1/enroll`, `GET /ssl/v1/{sslId}`, `GET /ssl/v1/collect/{sslId}/{format}` (400 code
 * -183 until the certificate can be collected), `POST /ssl/v1/revoke/{sslId}` and
 * `/ssl/v1/revoke/serial/{serial}`, `GET /ssl/v1` (position/size), `GET /ssl/v1/types`.
 */
export async function startFakeSectigo(
  options: { orgId?: number; approval?: FakeSectigo['approval']; collectDelay?: number } = {},
): Promise<FakeSectigo> {
  const customerUri = `certctl-${randomBytes(3).toString('hex')}`;
  const login = 'certctl_api';
  const password = randomBytes(18).toString('base64url');
  const readOnlyLogin = 'certctl_auditor';
  const orgId = options.orgId ?? 4321;
  const certTypes: SectigoCertType[] = [
    { id: 423, name: 'Sectigo InstantSSL', terms: [365] },
    { id: 424, name: 'Sectigo OV Multi-Domain', terms: [365] },
    { id: 425, name: 'Sectigo EV SSL', terms: [365] },
  ];
  const issuingCa = await createTestCa({
    commonName: 'certctl fake Sectigo RSA Organization Validation Secure Server CA',
  });
  const certificates = new Map<number, SectigoFakeCertificate>();
  const faults = createFaultQueue();
  let nextSslId = 1_800_001;

  const entryOf = (id: number | string) => {
    const entry = certificates.get(Number(id));
    if (!entry) throw new Error(`no such fake Sectigo certificate ${id}`);
    return entry;
  };

  const issue = async (entry: SectigoFakeCertificate, notBefore?: Date) => {
    const signed = await signForFakeCa(issuingCa, {
      csrPem: entry.csrPem,
      commonName: entry.commonName,
      dnsNames: entry.subjAltNames,
      validityDays: entry.term,
      notBefore,
    });
    entry.certificate = {
      pem: signed.certificatePem,
      serial: signed.serial,
      notBefore: signed.notBefore,
      notAfter: signed.notAfter,
    };
    entry.status = signed.notAfter.getTime() < Date.now() ? 'Expired' : 'Issued';
    return entry;
  };

  const fake: FakeSectigo = {
    baseUrl: '',
    issuingCa,
    customerUri,
    login,
    password,
    readOnlyLogin,
    orgId,
    certTypes,
    certificates,
    faults,
    approval: options.approval ?? 'pending',
    collectDelay: options.collectDelay ?? 0,
    vendor: undefined as unknown as FakeVendor,
    approve: async (id) => {
      const entry = entryOf(id);
      if (entry.status !== 'Requested' && entry.status !== 'Applied') throw new Error(`${id} is ${entry.status}`);
      entry.collectNotReady = fake.collectDelay;
      return issue(entry);
    },
    reject: (id, reason) => {
      const entry = entryOf(id);
      entry.status = 'Rejected';
      entry.rejectReason = reason;
      return entry;
    },
    async seedExistingCertificates(count, seed = {}) {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const sslId = nextSslId++;
        const commonName = `${seed.expired ? 'old' : 'legacy'}-${sslId}.${seed.domain ?? 'example.org'}`;
        const entry: SectigoFakeCertificate = {
          sslId,
          orgId,
          certTypeId: seed.certTypeId ?? 423,
          term: seed.expired ? 30 : 365,
          status: 'Applied',
          commonName,
          subjAltNames: [commonName],
          comments: 'ordered in the SCM portal',
          collectNotReady: 0,
          requested: new Date(),
        };
        certificates.set(sslId, entry);
        await issue(entry, seed.expired ? new Date(Date.now() - 90 * 86_400_000) : undefined);
        ids.push(sslId);
      }
      return ids;
    },
    rateLimitNext(seconds) {
      faults.push(scmError(429, -1, 'Too many requests, please slow down.', { 'retry-after': String(seconds) }));
    },
    close: () => fake.vendor.close(),
  };

  const guard =
    (handler: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>, write = false) =>
    async (request: FakeRequest): Promise<FakeResponse> => {
      const fault = faults.take();
      if (fault) return fault;
      const h = request.headers;
      const known = h.login === login || h.login === readOnlyLogin;
      if (h.customeruri !== customerUri || !known || h.password !== password) return scmError(401, -16, 'Unknown user');
      if (write && h.login !== login)
        return scmError(403, -109, 'Insufficient privileges: the admin role does not allow this operation.');
      if (request.method === 'POST' && !(h['content-type'] ?? '').startsWith('application/json'))
        return scmError(415, -1, 'Unsupported content type, use application/json.');
      return handler(request);
    };

  const detailView = (entry: SectigoFakeCertificate) => {
    const type = certTypes.find((t) => t.id === entry.certTypeId)!;
    return {
      commonName: entry.commonName,
      sslId: entry.sslId,
      id: entry.sslId,
      orgId: entry.orgId,
      status: entry.status,
      orderNumber: 90_000_000 + entry.sslId,
      backendCertId: String(entry.sslId * 7),
      vendor: 'Sectigo Limited',
      certType: { id: type.id, name: type.name, terms: type.terms },
      term: entry.term,
      comments: entry.comments,
      requested: entry.requested.toISOString().slice(0, 10),
      subjectAlternativeNames: entry.subjAltNames,
      ...(entry.certificate && {
        serialNumber: entry.certificate.serial.toUpperCase(),
        approved: entry.certificate.notBefore.toISOString().slice(0, 10),
        expires: entry.certificate.notAfter.toISOString().slice(0, 10),
      }),
      ...(entry.rejectReason && { rejectReason: entry.rejectReason }),
      ...(entry.revokeReason && { revocationReason: entry.revokeReason }),
    };
  };

  const enroll = async (request: FakeRequest): Promise<FakeResponse> => {
    const body = parseJsonBody(request.text());
    if (!isRecord(body)) return scmError(400, -1, 'Malformed request body.');
    if (body.orgId !== orgId) return scmError(400, -6, `Organization ${String(body.orgId)} is invalid or not allowed.`);
    const type = certTypes.find((t) => t.id === body.certType);
    if (!type) return scmError(400, -13, `Certificate type ${String(body.certType)} is invalid.`);
    if (typeof body.term !== 'number' || !type.terms.includes(body.term))
      return scmError(
        400,
        -14,
        `Term ${String(body.term)} is not allowed for ${type.name}; allowed: ${type.terms.join(', ')}.`,
      );
    const csr = await readFakeCsr(body.csr);
    if (!csr) return scmError(400, -9, 'CSR is invalid.');
    if (!csr.commonName) return scmError(400, -10, 'CSR has no common name.');
    if (body.subjAltNames !== undefined && typeof body.subjAltNames !== 'string')
      return scmError(400, -1, 'subjAltNames must be a comma-separated string.');
    const sans = (body.subjAltNames as string | undefined)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const entry: SectigoFakeCertificate = {
      sslId: nextSslId++,
      orgId,
      certTypeId: type.id,
      term: body.term,
      status: 'Applied',
      commonName: csr.commonName,
      subjAltNames: [...new Set([csr.commonName, ...(sans ?? csr.dnsNames)])],
      csrPem: csr.pem,
      comments: typeof body.comments === 'string' ? body.comments : '',
      collectNotReady: fake.collectDelay,
      requested: new Date(),
    };
    certificates.set(entry.sslId, entry);
    if (fake.approval === 'issue') await issue(entry);
    else if (typeof fake.approval === 'object') entry.approveAfterChecks = fake.approval.afterChecks;
    return { body: { renewId: randomBytes(10).toString('base64url'), sslId: entry.sslId } };
  };

  const find = (request: FakeRequest) => {
    const id = request.params.sslId ?? '';
    return /^\d+$/.test(id) ? certificates.get(Number(id)) : undefined;
  };

  const details = async (request: FakeRequest): Promise<FakeResponse> => {
    const entry = find(request);
    if (!entry) return scmError(404, -1, `SSL certificate ${request.params.sslId} was not found.`);
    if (entry.status === 'Applied' && entry.approveAfterChecks !== undefined) {
      if (entry.approveAfterChecks <= 0) await issue(entry);
      else entry.approveAfterChecks--;
    }
    return { body: detailView(entry) };
  };

  const collect = (request: FakeRequest): FakeResponse => {
    const entry = find(request);
    if (!entry) return scmError(404, -1, `SSL certificate ${request.params.sslId} was not found.`);
    const format = request.params.format;
    if (!['x509', 'x509CO', 'x509IO', 'pem'].includes(format ?? ''))
      return scmError(400, -1, `Unknown format type "${format}".`);
    if (!entry.certificate || entry.status === 'Rejected')
      return scmError(400, SECTIGO_NOT_COLLECTABLE.code, SECTIGO_NOT_COLLECTABLE.description);
    if (entry.collectNotReady > 0) {
      entry.collectNotReady--;
      return scmError(400, SECTIGO_NOT_COLLECTABLE.code, SECTIGO_NOT_COLLECTABLE.description);
    }
    const leaf = entry.certificate.pem;
    const root = issuingCa.certificatePem;
    // x509 and pem: leaf then chain; x509CO: the leaf alone; x509IO: the chain alone.
    const body = format === 'x509CO' ? pemLines(leaf) : format === 'x509IO' ? pemLines(root) : pemLines(leaf, root);
    return { headers: { 'content-type': 'application/x-x509-ca-cert' }, body };
  };

  const doRevoke = (entry: SectigoFakeCertificate | undefined, request: FakeRequest): FakeResponse => {
    if (!entry) return scmError(404, -1, 'SSL certificate was not found.');
    const body = parseJsonBody(request.text());
    if (!isRecord(body) || typeof body.reason !== 'string' || body.reason.trim() === '')
      return scmError(400, -1, 'Revocation reason is required.');
    if (body.reason.length > REVOKE_REASON_MAX) return scmError(400, -1, 'Revocation reason is too long.');
    if (entry.status !== 'Issued') return scmError(400, -1, `Certificate in status ${entry.status} cannot be revoked.`);
    entry.status = 'Revoked';
    entry.revokeReason = body.reason;
    return { status: 204 };
  };

  const list = (request: FakeRequest): FakeResponse => {
    const position = Number(request.url.searchParams.get('position') ?? 0);
    const size = Number(request.url.searchParams.get('size') ?? 200);
    if (!Number.isInteger(position) || position < 0 || !Number.isInteger(size) || size < 1 || size > 200)
      return scmError(400, -1, 'size must be 1 to 200 and position 0 or more.');
    const all = [...certificates.values()];
    return {
      headers: { 'x-total-count': String(all.length) },
      body: all.slice(position, position + size).map((e) => ({
        sslId: e.sslId,
        commonName: e.commonName,
        subjectAlternativeNames: e.subjAltNames,
        ...(e.certificate && { serialNumber: e.certificate.serial.toUpperCase() }),
      })),
    };
  };

  const vendor = await startFakeVendor({
    routes: {
      'POST /api/ssl/v1/enroll': guard(enroll, true),
      'GET /api/ssl/v1/types': guard(() => ({ body: certTypes })),
      'GET /api/ssl/v1/collect/:sslId/:format': guard(collect),
      'POST /api/ssl/v1/revoke/serial/:serial': guard(
        (request) =>
          doRevoke(
            [...certificates.values()].find(
              (e) => e.certificate?.serial === request.params.serial!.toLowerCase().replace(/^(00)+(?=.)/, ''),
            ),
            request,
          ),
        true,
      ),
      'POST /api/ssl/v1/revoke/:sslId': guard((request) => doRevoke(find(request), request), true),
      'GET /api/ssl/v1/:sslId': guard(details),
      'GET /api/ssl/v1': guard(list),
    },
  });
  fake.vendor = vendor;
  fake.caPem = vendor.caPem;
  fake.baseUrl = `${vendor.url}/api`;
  return fake;
}
