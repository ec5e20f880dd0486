import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, createTestCsr, type TestCa, type TestLeaf } from '../test-pki.js';
import {
  type ClientCredential,
  fingerprintHex,
  issueClientCredential,
  normaliseCsrPem,
  signCsr,
} from './fake-ca-signing.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** What a CA Gateway client certificate may do on the CA (the Gateway's per-identity authorisation). */
export type EntrustGatewayPermission = 'view' | 'enroll' | 'revoke';
/** What an enterprise API user may do (the portal's API user roles). */
export type EntrustApiPermission = 'view' | 'request' | 'approve' | 'revoke';

/** The names the Entrust portal gives these permissions; the fake's 403 bodies use them. */
export const ENTRUST_PERMISSION_NAMES: Record<EntrustGatewayPermission | EntrustApiPermission, string> = {
  view: 'View Certificates',
  enroll: 'Enroll',
  request: 'Request Certificates',
  approve: 'Approve Requests',
  revoke: 'Revoke Certificates',
};

export type EntrustOrderState = 'PENDING' | 'ACTIVE' | 'DECLINED' | 'REVOKED' | 'EXPIRED';

/** One order as the fake holds it; both APIs share this store. */
export interface EntrustFakeOrder {
  api: 'gateway' | 'enterprise';
  trackingId: string;
  state: EntrustOrderState;
  csrPem: string;
  validitySeconds: number;
  dns: string[];
  certType?: string;
  clientId?: number;
  org?: string;
  ctLog?: boolean;
  profileId?: string;
  leaf?: TestLeaf;
  commonName?: string;
  declineReason?: string;
  revocationReason?: string;
  /** Tracking id of the order this one renews. */
  renewedFrom?: string;
  reissues: number;
  /** Lookups while pending (for `approveAfterLookups`). */
  lookups: number;
  createdAt: Date;
}

export interface FakeEntrustOptions {
  /** CA Gateway CA id; default `entrust-fake-ca`. */
  caId?: string;
  /** Enterprise API products (cert types) and how many the account may still order. */
  inventory?: Record<string, number>;
  /** Approved domains of client 1. */
  domains?: string[];
  /** Page size of the Gateway's certificate-events listing; default 50. */
  eventPageSize?: number;
  /** An administrator approves each pending order once it was looked up this many times (unset: only `approve`). */
  approveAfterLookups?: number;
}

export interface FakeEntrust {
  /** `https://127.0.0.1:<port>`: the Gateway lives under `/cagw`, the enterprise API under `/enterprise/v2`. */
  url: string;
  gatewayUrl: string;
  enterpriseUrl: string;
  caId: string;
  /** Gateway profiles: `auto` issues at once, `approval` waits for an Entrust administrator. */
  profiles: { auto: string; approval: string };
  /** PEM of the CA behind the fake's TLS certificate (for `server_ca_path`). */
  serverCaPem: string;
  /** The CA that signs issued certificates (for `openssl verify`). */
  issuingCa: TestCa;
  /** The enterprise API user the fake starts with (every permission). */
  username: string;
  apiKey: string;
  vendor: FakeVendor;
  faults: FaultQueue;
  /** Every order, by tracking id. */
  orders: Map<string, EntrustFakeOrder>;
  /** A client certificate the Gateway trusts, with the given permissions (default all). */
  clientCredential(name: string, permissions?: EntrustGatewayPermission[]): Promise<ClientCredential>;
  /** A client certificate from a CA the fake does not trust (the TLS handshake fails). */
  strangerCredential(): Promise<ClientCredential>;
  /** Adds an enterprise API user; returns its API key. */
  addApiUser(username: string, permissions: EntrustApiPermission[]): string;
  /** Queue every enterprise order for approval, whatever the request says (an account setting). */
  setRequireApproval(on: boolean): void;
  /** Orders waiting for an administrator. */
  pending(): EntrustFakeOrder[];
  /** The administrator approves: the certificate is issued. */
  approve(trackingId: string): Promise<void>;
  /** The administrator declines, with the reason the API then reports. */
  decline(trackingId: string, reason: string): void;
  /** Enterprise orders issued before the test, as an account would have them (some expired). */
  seedExisting(count: number, options?: { expired?: number; certType?: string }): Promise<EntrustFakeOrder[]>;
  /** The next request gets 429 with Retry-After, with the error body of that API. */
  rateLimitNext(seconds: number, api?: 'gateway' | 'enterprise'): void;
  close(): Promise<void>;
}

const MAX_VALIDITY_SECONDS = 398 * 86_400;

function gatewayError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): FakeResponse {
  return { status, headers, body: { type: 'ErrorResponse', error: { code, message } } };
}

function enterpriseError(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers, body: { status, errors: [{ message }] } };
}

/** ISO 8601 durations the Gateway accepts for `validityPeriod` (`P30D`, `PT3600S`, `P1Y`). */
function isoDurationSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^P(?:(\d+)Y)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, y, d, h, min, s] = m.map((v) => Number(v ?? 0));
  return y! * 365 * 86_400 + d! * 86_400 + h! * 3600 + min! * 60 + s!;
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/**
 * A fake Entrust with both integration surfaces on one HTTPS server that requires a client
 * certificate from its own client CA (a wrong certificate fails the handshake):
 *
 * - CA Gateway (`/cagw/v1/...`): CA and profile listing, `POST .../enrollments` answering 200 with the
 *   certificate or 201 with a tracking id when the profile needs an administrator's approval,
 *   `GET .../enrollments/{trackingId}`, `POST .../certificates/{serial}/actions` (RevokeAction),
 *   `GET .../certificate-events`; errors as `{type: "ErrorResponse", error: {code, message}}`;
 *   authorisation per client certificate (403 names the missing permission).
 * - Enterprise API (`/enterprise/v2/...`, HTTP Basic with the API username and key on top of the client
 *   certificate): clients, organizations, domains, inventories, certificate orders (queueForApproval,
 *   ctLog, certType, certExpiryDate/certLifetime), PATCH approve/decline, reissues, renewals,
 *   revocations, the paginated certificate list; errors as `{status, errors: [{message}]}`.
 *
 * Issued certificates are signed by `issuingCa`. 429 with Retry-After through `rateLimitNext`.
 */
export async function startFakeEntrust(options: FakeEntrustOptions = {}): Promise<FakeEntrust> {
  const caId = options.caId ?? 'entrust-fake-ca';
  const profiles = { auto: 'tls-server-auto', approval: 'tls-server-approval' };
  const clientCa = await createTestCa({ commonName: 'Entrust fake client CA' });
  const issuingCa = await createTestCa({ commonName: 'Entrust fake issuing CA' });
  const faults = createFaultQueue();
  const orders = new Map<string, EntrustFakeOrder>();
  const inventory = new Map(Object.entries(options.inventory ?? { STANDARD_SSL: 100, ADVANTAGE_SSL: 50 }));
  const domains = options.domains ?? ['example.test', 'conformance.example.test', 'example.com'];
  const organizations = [{ name: 'Example Corp', clientId: 1, verificationStatus: 'APPROVED' }];
  const gatewayPermissions = new Map<string, Set<EntrustGatewayPermission>>();
  const users = new Map<string, { apiKey: string; permissions: Set<EntrustApiPermission> }>();
  const username = 'certctl-api';
  const apiKey = randomBytes(18).toString('base64url');
  users.set(username, { apiKey, permissions: new Set(['view', 'request', 'approve', 'revoke']) });
  let requireApproval = false;
  let nextEnterpriseId = 3_100_000;
  const eventPageSize = options.eventPageSize ?? 50;

  /** A lookup of a pending order: the simulated administrator may approve it now. */
  const looked = async (order: EntrustFakeOrder): Promise<void> => {
    if (order.state !== 'PENDING' || options.approveAfterLookups === undefined) return;
    if (++order.lookups >= options.approveAfterLookups) await issueOrder(order);
  };

  const issueOrder = async (order: EntrustFakeOrder): Promise<string | undefined> => {
    const signed = await signCsr(issuingCa, order.csrPem, { validitySeconds: order.validitySeconds, dns: order.dns });
    if (!signed.ok) return signed.problem;
    order.leaf = signed.leaf;
    order.commonName = signed.commonName;
    order.state = 'ACTIVE';
    return undefined;
  };

  // ---------- CA Gateway ----------
  const gatewayCaller = (request: FakeRequest, need: EntrustGatewayPermission): FakeResponse | undefined => {
    const cert = request.clientCertificate;
    if (!cert) return gatewayError(401, 'UNAUTHORIZED', 'A client certificate is required');
    const granted = gatewayPermissions.get(fingerprintHex(cert.fingerprint256));
    if (!granted)
      return gatewayError(
        401,
        'UNAUTHORIZED',
        `Client certificate ${cert.subject} is not registered with the CA Gateway`,
      );
    if (request.params.caId !== undefined && request.params.caId !== caId)
      return gatewayError(404, 'NOT_FOUND', `Certificate authority ${request.params.caId} was not found`);
    if (!granted.has(need)) {
      return gatewayError(
        403,
        'FORBIDDEN',
        `Client ${cert.subject} is not authorized to perform '${ENTRUST_PERMISSION_NAMES[need]}' on certificate authority ${caId}`,
      );
    }
    return undefined;
  };

  const enrollmentBody = (order: EntrustFakeOrder, format: string) => {
    const enrollment: Record<string, unknown> = {
      id: order.trackingId,
      trackingId: order.trackingId,
      status: order.state === 'ACTIVE' ? 'ISSUED' : order.state === 'DECLINED' ? 'REJECTED' : order.state,
      subjectName: order.commonName ? `cn=${order.commonName}` : undefined,
    };
    if (order.leaf && order.state !== 'PENDING' && order.state !== 'DECLINED') {
      enrollment.serialNumber = order.leaf.serial;
      enrollment.body = format === 'PEM' ? order.leaf.certificatePem : pemBody(order.leaf.certificatePem);
      enrollment.chain = [issuingCa.certificatePem];
    }
    if (order.state === 'DECLINED') enrollment.statusMessage = order.declineReason;
    return { type: 'EnrollmentResponse', enrollment };
  };

  const gatewayRoutes: Record<string, (r: FakeRequest) => FakeResponse | Promise<FakeResponse>> = {
    'GET /cagw/v1/certificate-authorities': (r) =>
      gatewayCaller(r, 'view') ?? {
        body: {
          type: 'CAListResponse',
          caList: [{ id: caId, name: 'Entrust fake CA', properties: { connector_name: 'com.entrust.ECS' } }],
        },
      },
    'GET /cagw/v1/certificate-authorities/:caId': (r) =>
      gatewayCaller(r, 'view') ?? {
        body: {
          type: 'CAResponse',
          ca: {
            id: caId,
            name: 'Entrust fake CA',
            certificate: { certificateData: pemBody(issuingCa.certificatePem) },
            properties: { connector_name: 'com.entrust.ECS' },
          },
        },
      },
    'GET /cagw/v1/certificate-authorities/:caId/profiles': (r) =>
      gatewayCaller(r, 'view') ?? {
        body: {
          type: 'ProfileListResponse',
          profiles: [
            { id: profiles.auto, name: 'TLS server (auto-approved)' },
            { id: profiles.approval, name: 'TLS server (administrator approval)' },
          ],
        },
      },
    'POST /cagw/v1/certificate-authorities/:caId/enrollments': async (r) => {
      const denied = gatewayCaller(r, 'enroll');
      if (denied) return denied;
      const body = parseJsonBody(r.text());
      if (!isRecord(body)) return gatewayError(400, 'BAD_REQUEST', 'The request body is not valid JSON');
      if (typeof body.profileId !== 'string' || ![profiles.auto, profiles.approval].includes(body.profileId))
        return gatewayError(400, 'INVALID_PROFILE', `Profile ${String(body.profileId)} does not exist on CA ${caId}`);
      if (typeof body.csr !== 'string' || body.csr.length === 0)
        return gatewayError(400, 'BAD_REQUEST', 'csr is required');
      const format = isRecord(body.requiredFormat) ? body.requiredFormat.format : 'X509';
      if (format !== 'X509' && format !== 'PEM')
        return gatewayError(400, 'BAD_REQUEST', 'requiredFormat.format must be X509 or PEM');
      const details = isRecord(body.optionalCertificateRequestDetails) ? body.optionalCertificateRequestDetails : {};
      const requested = details.validityPeriod === undefined ? undefined : isoDurationSeconds(details.validityPeriod);
      if (details.validityPeriod !== undefined && requested === undefined)
        return gatewayError(400, 'BAD_REQUEST', 'validityPeriod must be an ISO 8601 duration');
      const dns = Array.isArray(body.subjectAltNames)
        ? body.subjectAltNames
            .filter((s): s is { type: string; value: string } => isRecord(s) && s.type === 'dNSName')
            .map((s) => String(s.value))
        : [];
      const order: EntrustFakeOrder = {
        api: 'gateway',
        trackingId: `trk-${randomBytes(8).toString('hex')}`,
        state: 'PENDING',
        csrPem: normaliseCsrPem(body.csr),
        validitySeconds: Math.min(requested ?? 365 * 86_400, MAX_VALIDITY_SECONDS),
        dns,
        profileId: body.profileId,
        reissues: 0,
        lookups: 0,
        createdAt: new Date(),
      };
      // Bad CSRs are refused at submission, as the Gateway validates them before queueing.
      const check = await signCsr(issuingCa, order.csrPem, { validitySeconds: 60, dns });
      if (!check.ok) return gatewayError(400, 'INVALID_CSR', check.problem);
      order.commonName = check.commonName;
      orders.set(order.trackingId, order);
      if (body.profileId === profiles.approval) {
        return {
          status: 201,
          headers: { location: `/cagw/v1/certificate-authorities/${caId}/enrollments/${order.trackingId}` },
          body: enrollmentBody(order, format),
        };
      }
      await issueOrder(order);
      return { status: 200, body: enrollmentBody(order, format) };
    },
    'GET /cagw/v1/certificate-authorities/:caId/enrollments/:trackingId': async (r) => {
      const denied = gatewayCaller(r, 'view');
      if (denied) return denied;
      const order = orders.get(r.params.trackingId!);
      if (order?.api !== 'gateway')
        return gatewayError(404, 'NOT_FOUND', `Enrollment ${r.params.trackingId} was not found`);
      return { body: enrollmentBody(order, r.url.searchParams.get('format') === 'PEM' ? 'PEM' : 'X509') };
    },
    'POST /cagw/v1/certificate-authorities/:caId/certificates/:serial/actions': (r) => {
      const denied = gatewayCaller(r, 'revoke');
      if (denied) return denied;
      const body = parseJsonBody(r.text());
      const action = isRecord(body) && isRecord(body.action) ? body.action : undefined;
      if (action?.type !== 'RevokeAction')
        return gatewayError(400, 'BAD_REQUEST', 'action.type must be RevokeAction, HoldAction or UnholdAction');
      const serial = r.params.serial!.toLowerCase().replace(/^0+/, '');
      const order = [...orders.values()].find((o) => o.leaf && o.leaf.serial.replace(/^0+/, '') === serial);
      if (!order) return gatewayError(404, 'NOT_FOUND', `Certificate ${r.params.serial} was not found on CA ${caId}`);
      order.state = 'REVOKED';
      order.revocationReason = String(action.reason ?? 'unspecified');
      return {
        body: {
          type: 'ActionResponse',
          action: {
            type: 'RevokeAction',
            id: randomBytes(8).toString('hex'),
            status: 'COMPLETED',
            reason: order.revocationReason,
            comment: action.comment,
          },
        },
      };
    },
    'GET /cagw/v1/certificate-authorities/:caId/certificate-events': (r) => {
      const denied = gatewayCaller(r, 'view');
      if (denied) return denied;
      const issued = [...orders.values()]
        .filter((o) => o.leaf && o.state !== 'PENDING' && o.state !== 'DECLINED')
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      const start = Number(r.url.searchParams.get('nextPageIndex') ?? '0');
      if (!Number.isInteger(start) || start < 0) return gatewayError(400, 'BAD_REQUEST', 'invalid nextPageIndex');
      const page = issued.slice(start, start + eventPageSize);
      const more = start + eventPageSize < issued.length;
      return {
        body: {
          type: 'CertificateEventListResponse',
          events: page.map((o) => ({
            action: o.state === 'REVOKED' ? 'revoked' : 'issued',
            eventDate: o.createdAt.toISOString(),
            serialNumber: o.leaf!.serial,
            certificate: pemBody(o.leaf!.certificatePem),
          })),
          morePages: more,
          ...(more ? { nextPageIndex: String(start + eventPageSize) } : {}),
        },
      };
    },
  };

  // ---------- Enterprise API ----------
  const enterpriseCaller = (request: FakeRequest, need: EntrustApiPermission): FakeResponse | undefined => {
    const header = request.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!m) return enterpriseError(401, 'Authentication is required: send the API username and key (HTTP Basic)');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = users.get(decoded.slice(0, colon));
    const given = Buffer.from(decoded.slice(colon + 1));
    const expected = Buffer.from(user?.apiKey ?? '');
    if (!user || colon < 0 || given.length !== expected.length || !timingSafeEqual(given, expected))
      return enterpriseError(401, 'Invalid API username or API key');
    if (!user.permissions.has(need)) {
      return enterpriseError(
        403,
        `The API user ${decoded.slice(0, colon)} does not have the '${ENTRUST_PERMISSION_NAMES[need]}' permission`,
      );
    }
    return undefined;
  };

  const certificateSummary = (o: EntrustFakeOrder) => ({
    trackingId: Number(o.trackingId),
    status: o.state,
    dn: o.commonName ? `CN=${o.commonName}` : undefined,
    serialNumber: o.leaf?.serial,
    issueDateTime: o.leaf?.notBefore.toISOString(),
    expiresAfter: o.leaf?.notAfter.toISOString(),
    certType: o.certType,
    org: o.org,
    domainUsed: o.dns[0],
  });

  const certificateDetail = (o: EntrustFakeOrder) => ({
    ...certificateSummary(o),
    subjectAltName: o.dns,
    ctLog: o.ctLog,
    csr: o.csrPem,
    ...(o.leaf && o.state !== 'PENDING' && o.state !== 'DECLINED'
      ? { endEntityCert: o.leaf.certificatePem, chainCerts: [issuingCa.certificatePem] }
      : {}),
    ...(o.declineReason ? { declineReason: o.declineReason } : {}),
    ...(o.revocationReason ? { revocationReason: o.revocationReason } : {}),
  });

  const orderResponse = (o: EntrustFakeOrder) => ({
    trackingId: Number(o.trackingId),
    ...(o.state === 'ACTIVE' && o.leaf
      ? {
          endEntityCert: o.leaf.certificatePem,
          chainCerts: [issuingCa.certificatePem],
          serialNumber: o.leaf.serial,
          expiresAfter: o.leaf.notAfter.toISOString(),
        }
      : {}),
    pickupUrl: `https://www.entrust.net/ssl/certpickup.cfm?id=${o.trackingId}`,
  });

  /** The validity an order asks for: certExpiryDate (a date), certLifetime (P1Y..P3Y), else a year. */
  const requestedValidity = (body: Record<string, unknown>): number | string => {
    if (body.certExpiryDate !== undefined) {
      if (typeof body.certExpiryDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(body.certExpiryDate))
        return 'certExpiryDate must be a date (YYYY-MM-DD)';
      const seconds = (Date.parse(`${body.certExpiryDate}T00:00:00Z`) - Date.now()) / 1000;
      if (!(seconds > 0)) return 'certExpiryDate must be in the future';
      return Math.min(seconds, MAX_VALIDITY_SECONDS);
    }
    if (body.certLifetime !== undefined) {
      const years = { P1Y: 1 } as Record<string, number>;
      const y = typeof body.certLifetime === 'string' ? years[body.certLifetime] : undefined;
      if (!y) return 'certLifetime must be P1Y for SSL certificate types';
      return Math.min(y * 365 * 86_400, MAX_VALIDITY_SECONDS);
    }
    return 365 * 86_400;
  };

  const checkDomains = (names: string[]): string | undefined => {
    for (const name of names) {
      const bare = name.replace(/^\*\./, '').toLowerCase();
      if (!domains.some((d) => bare === d || bare.endsWith(`.${d}`)))
        return `The domain ${name} is not an approved domain for client 1`;
    }
    return undefined;
  };

  /** Builds and (unless queued) issues an enterprise order from a request body; shared by new orders and renewals. */
  const placeEnterpriseOrder = async (
    body: Record<string, unknown>,
    base?: EntrustFakeOrder,
  ): Promise<FakeResponse | EntrustFakeOrder> => {
    if (typeof body.csr !== 'string' || body.csr.length === 0) return enterpriseError(400, 'csr is required');
    const certType = typeof body.certType === 'string' ? body.certType : base?.certType;
    if (!certType || !inventory.has(certType))
      return enterpriseError(400, `certType ${String(certType)} is not available in this account`);
    if ((inventory.get(certType) ?? 0) <= 0) return enterpriseError(400, `No ${certType} inventory remains`);
    const clientId = body.clientId === undefined ? 1 : body.clientId;
    if (clientId !== 1) return enterpriseError(400, `Client ${String(clientId)} does not exist`);
    if (body.org !== undefined && !organizations.some((o) => o.name === body.org))
      return enterpriseError(400, `Organization ${String(body.org)} is not verified for client 1`);
    if (body.ctLog !== undefined && typeof body.ctLog !== 'boolean')
      return enterpriseError(400, 'ctLog must be a boolean');
    const validity = requestedValidity(body);
    if (typeof validity === 'string') return enterpriseError(400, validity);
    const sans = Array.isArray(body.subjectAltName) ? body.subjectAltName.map(String) : (base?.dns ?? []);
    const check = await signCsr(issuingCa, body.csr, { validitySeconds: 60, dns: sans });
    if (!check.ok) return enterpriseError(400, check.problem);
    const dns = check.dns;
    const domainProblem = checkDomains(dns);
    if (domainProblem) return enterpriseError(400, domainProblem);
    const order: EntrustFakeOrder = {
      api: 'enterprise',
      trackingId: String(nextEnterpriseId++),
      state: 'PENDING',
      csrPem: normaliseCsrPem(body.csr),
      validitySeconds: validity,
      dns,
      certType,
      clientId: 1,
      org: typeof body.org === 'string' ? body.org : organizations[0]!.name,
      ctLog: typeof body.ctLog === 'boolean' ? body.ctLog : true,
      commonName: check.commonName,
      renewedFrom: base?.trackingId,
      reissues: 0,
      lookups: 0,
      createdAt: new Date(),
    };
    inventory.set(certType, (inventory.get(certType) ?? 0) - 1);
    orders.set(order.trackingId, order);
    if (!(requireApproval || body.queueForApproval === true)) await issueOrder(order);
    return order;
  };

  const enterpriseOrder = (r: FakeRequest): EntrustFakeOrder | FakeResponse => {
    const order = orders.get(r.params.trackingId!);
    if (order?.api !== 'enterprise')
      return enterpriseError(404, `Certificate with tracking id ${r.params.trackingId} was not found`);
    return order;
  };
  const isResponse = (x: EntrustFakeOrder | FakeResponse): x is FakeResponse => !('trackingId' in x && 'api' in x);

  const enterpriseRoutes: Record<string, (r: FakeRequest) => FakeResponse | Promise<FakeResponse>> = {
    'GET /enterprise/v2/clients': (r) =>
      enterpriseCaller(r, 'view') ?? {
        body: { clients: [{ clientId: 1, clientName: 'Example Corp', verificationStatus: 'APPROVED' }] },
      },
    'GET /enterprise/v2/organizations': (r) => enterpriseCaller(r, 'view') ?? { body: { organizations } },
    'GET /enterprise/v2/domains': (r) =>
      enterpriseCaller(r, 'view') ?? {
        body: {
          summary: { offset: 0, limit: domains.length, total: domains.length },
          domains: domains.map((domainName) => ({
            domainName,
            clientId: 1,
            verificationStatus: 'APPROVED',
            ovEligible: true,
            evEligible: false,
          })),
        },
      },
    'GET /enterprise/v2/inventories': (r) =>
      enterpriseCaller(r, 'view') ?? {
        body: { inventories: [...inventory].map(([certType, remaining]) => ({ certType, remaining })) },
      },
    'POST /enterprise/v2/certificates': async (r) => {
      const denied = enterpriseCaller(r, 'request');
      if (denied) return denied;
      const body = parseJsonBody(r.text());
      if (!isRecord(body)) return enterpriseError(400, 'The request body is not valid JSON');
      const placed = await placeEnterpriseOrder(body);
      if (isResponse(placed)) return placed;
      return { status: 201, body: orderResponse(placed) };
    },
    'GET /enterprise/v2/certificates': (r) => {
      const denied = enterpriseCaller(r, 'view');
      if (denied) return denied;
      const q = r.url.searchParams;
      const limit = Math.min(Number(q.get('limit') ?? '100'), 1000);
      const offset = Number(q.get('offset') ?? '0');
      if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0)
        return enterpriseError(400, 'limit and offset must be non-negative integers');
      let list = [...orders.values()].filter((o) => o.api === 'enterprise');
      if (q.get('status')) list = list.filter((o) => o.state === q.get('status'));
      if (q.get('certType')) list = list.filter((o) => o.certType === q.get('certType'));
      if (q.get('serialNumber')) {
        const wanted = q.get('serialNumber')!.toLowerCase().replace(/^0+/, '');
        list = list.filter((o) => o.leaf?.serial.replace(/^0+/, '') === wanted);
      }
      list.sort((a, b) => Number(a.trackingId) - Number(b.trackingId));
      return {
        body: {
          summary: { timestamp: new Date().toISOString(), offset, limit, total: list.length },
          certificates: list.slice(offset, offset + limit).map(certificateSummary),
        },
      };
    },
    'GET /enterprise/v2/certificates/:trackingId': async (r) => {
      const denied = enterpriseCaller(r, 'view');
      if (denied) return denied;
      const order = enterpriseOrder(r);
      if (isResponse(order)) return order;
      await looked(order);
      return { body: certificateDetail(order) };
    },
    'PATCH /enterprise/v2/certificates/:trackingId': async (r) => {
      const denied = enterpriseCaller(r, 'approve');
      if (denied) return denied;
      const order = enterpriseOrder(r);
      if (isResponse(order)) return order;
      const body = parseJsonBody(r.text());
      const operation = isRecord(body) ? body.operation : undefined;
      if (operation === 'APPROVE' || operation === 'DECLINE') {
        if (order.state !== 'PENDING')
          return enterpriseError(400, `APPROVE and DECLINE are valid only for certificates in state PENDING`);
        if (operation === 'APPROVE') {
          const problem = await issueOrder(order);
          if (problem) return enterpriseError(400, problem);
        } else {
          order.state = 'DECLINED';
          order.declineReason = isRecord(body) && typeof body.declineReason === 'string' ? body.declineReason : '';
        }
        return { body: orderResponse(order) };
      }
      return enterpriseError(400, 'operation must be one of APPROVE, DECLINE, SUSPEND, UNSUSPEND');
    },
    'POST /enterprise/v2/certificates/:trackingId/reissues': async (r) => {
      const denied = enterpriseCaller(r, 'request');
      if (denied) return denied;
      const order = enterpriseOrder(r);
      if (isResponse(order)) return order;
      if (order.state !== 'ACTIVE')
        return enterpriseError(400, `Certificate ${order.trackingId} is ${order.state} and cannot be reissued`);
      const body = parseJsonBody(r.text());
      if (!isRecord(body) || typeof body.csr !== 'string') return enterpriseError(400, 'csr is required');
      const remaining = (order.leaf!.notAfter.getTime() - Date.now()) / 1000;
      const signed = await signCsr(issuingCa, body.csr, { validitySeconds: remaining, dns: order.dns });
      if (!signed.ok) return enterpriseError(400, signed.problem);
      order.csrPem = normaliseCsrPem(body.csr);
      order.leaf = signed.leaf;
      order.reissues++;
      return { status: 201, body: orderResponse(order) };
    },
    'POST /enterprise/v2/certificates/:trackingId/renewals': async (r) => {
      const denied = enterpriseCaller(r, 'request');
      if (denied) return denied;
      const base = enterpriseOrder(r);
      if (isResponse(base)) return base;
      if (base.state === 'PENDING' || base.state === 'DECLINED')
        return enterpriseError(400, `Certificate ${base.trackingId} is ${base.state} and cannot be renewed`);
      const body = parseJsonBody(r.text());
      if (!isRecord(body)) return enterpriseError(400, 'The request body is not valid JSON');
      const placed = await placeEnterpriseOrder(body, base);
      if (isResponse(placed)) return placed;
      return { status: 201, body: orderResponse(placed) };
    },
    'POST /enterprise/v2/certificates/:trackingId/revocations': (r) => {
      const denied = enterpriseCaller(r, 'revoke');
      if (denied) return denied;
      const order = enterpriseOrder(r);
      if (isResponse(order)) return order;
      const body = parseJsonBody(r.text());
      const reasons = ['KEY_COMPROMISE', 'AFFILIATION_CHANGED', 'SUPERSEDED', 'CESSATION_OF_OPERATION'];
      if (!isRecord(body) || typeof body.crlReason !== 'string' || !reasons.includes(body.crlReason))
        return enterpriseError(400, `crlReason must be one of ${reasons.join(', ')}`);
      if (order.state !== 'ACTIVE') return enterpriseError(400, `Certificate ${order.trackingId} is not active`);
      order.state = 'REVOKED';
      order.revocationReason = body.crlReason;
      return { status: 200, body: {} };
    },
  };

  const wrap =
    (handler: (r: FakeRequest) => FakeResponse | Promise<FakeResponse>) =>
    (r: FakeRequest): FakeResponse | Promise<FakeResponse> =>
      faults.take() ?? handler(r);
  const routes = Object.fromEntries(
    Object.entries({ ...gatewayRoutes, ...enterpriseRoutes }).map(([key, handler]) => [key, wrap(handler)]),
  );
  const vendor = await startFakeVendor({ clientCa: clientCa.certificatePem, routes });

  const fake: FakeEntrust = {
    url: vendor.url,
    gatewayUrl: `${vendor.url}/cagw`,
    enterpriseUrl: `${vendor.url}/enterprise/v2`,
    caId,
    profiles,
    serverCaPem: vendor.caPem!,
    issuingCa,
    username,
    apiKey,
    vendor,
    faults,
    orders,
    async clientCredential(name, permissions = ['view', 'enroll', 'revoke']) {
      const credential = await issueClientCredential(clientCa, name);
      gatewayPermissions.set(credential.fingerprint, new Set(permissions));
      return credential;
    },
    async strangerCredential() {
      return issueClientCredential(await createTestCa({ commonName: 'Not Entrust' }), 'stranger');
    },
    addApiUser(name, permissions) {
      const key = randomBytes(18).toString('base64url');
      users.set(name, { apiKey: key, permissions: new Set(permissions) });
      return key;
    },
    setRequireApproval(on) {
      requireApproval = on;
    },
    pending: () => [...orders.values()].filter((o) => o.state === 'PENDING'),
    async approve(trackingId) {
      const order = orders.get(trackingId);
      if (order?.state !== 'PENDING') throw new Error(`no pending Entrust order ${trackingId}`);
      const problem = await issueOrder(order);
      if (problem) throw new Error(problem);
    },
    decline(trackingId, reason) {
      const order = orders.get(trackingId);
      if (order?.state !== 'PENDING') throw new Error(`no pending Entrust order ${trackingId}`);
      order.state = 'DECLINED';
      order.declineReason = reason;
    },
    async seedExisting(count, seedOptions = {}) {
      const seeded: EntrustFakeOrder[] = [];
      const expired = seedOptions.expired ?? 0;
      for (let i = 0; i < count; i++) {
        const commonName = `existing-${i}.example.test`;
        const csr = await createTestCsr({ commonName });
        const isExpired = i < expired;
        const leaf = await issuingCa.issue({
          csrPem: csr.csrPem,
          commonName,
          sans: { dns: [commonName] },
          notBefore: new Date(Date.now() - (isExpired ? 400 : 10) * 86_400_000),
          validitySeconds: (isExpired ? 100 : 365) * 86_400,
        });
        const order: EntrustFakeOrder = {
          api: 'enterprise',
          trackingId: String(nextEnterpriseId++),
          state: isExpired ? 'EXPIRED' : 'ACTIVE',
          csrPem: csr.csrPem,
          validitySeconds: 365 * 86_400,
          dns: [commonName],
          certType: seedOptions.certType ?? 'STANDARD_SSL',
          clientId: 1,
          org: organizations[0]!.name,
          ctLog: true,
          leaf,
          commonName,
          reissues: 0,
          lookups: 0,
          createdAt: leaf.notBefore,
        };
        orders.set(order.trackingId, order);
        seeded.push(order);
      }
      return seeded;
    },
    rateLimitNext(seconds, api = 'enterprise') {
      const headers = { 'retry-after': String(seconds) };
      faults.push(
        api === 'gateway'
          ? gatewayError(429, 'TOO_MANY_REQUESTS', 'Too many requests', headers)
          : enterpriseError(429, 'Rate limit exceeded', headers),
      );
    },
    close: () => vendor.close(),
  };
  return fake;
}
