/**
 * Entrust Certificate Services enterprise API v2 (`/enterprise/v2/`, HTTP Basic with the API username
 * and key on top of the client certificate): account sync, orders (optionally queued for an Entrust
 * administrator, with the CT log choice), reissue on the same order, renewal, revocation, and the
 * account's existing orders for import.
 */
import {
  ConfigValidationError,
  type ConnectorLogger,
  type IssueRequest,
  MalformedInputError,
  type RevocationReason,
  type RevokeRequest,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { type EntrustApi, requestedLifetimeSeconds } from './entrust-api.js';
import type { EntrustIssuerConfig } from './entrust-config.js';
import type { EntrustHttp } from './entrust-http.js';
import type { EntrustOrder, EntrustOrderState } from './entrust-order.js';

/** What the account offers, read into the connector so the server can offer it (KMP's "sync"). */
export interface EntrustAccount {
  clients: { clientId: number; name: string; verificationStatus?: string }[];
  organizations: { name: string; clientId: number; verificationStatus?: string }[];
  domains: { domainName: string; clientId: number; verificationStatus?: string }[];
  /** Products (certificate types) with the inventory left. */
  products: { certType: string; remaining?: number }[];
  syncedAt: Date;
}

interface CertificateDetail {
  trackingId?: number;
  status?: string;
  serialNumber?: string;
  endEntityCert?: string;
  chainCerts?: string[];
  certType?: string;
  org?: string;
  domainUsed?: string;
  expiresAfter?: string;
  declineReason?: string;
}

const TRACKING_ID = /^\d{1,12}$/;
const PRODUCT_CODE = /^[A-Z0-9_]{2,64}$/;

/** RFC 5280 reasons the enterprise API names; the others have no Entrust equivalent. */
const ENTERPRISE_REASONS: Partial<Record<RevocationReason, string>> = {
  keyCompromise: 'KEY_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
};

function stateOf(status: string | undefined): EntrustOrderState {
  switch ((status ?? '').toUpperCase()) {
    case 'PENDING':
      return 'pending';
    case 'DECLINED':
      return 'declined';
    case 'REVOKED':
      return 'revoked';
    case 'EXPIRED':
      return 'expired';
    default:
      return 'issued';
  }
}

function ekuOf(request: IssueRequest): string {
  const ekus = new Set(request.extKeyUsages);
  const server = ekus.size === 0 || ekus.has('serverAuth') || ekus.has('1.3.6.1.5.5.7.3.1');
  const client = ekus.has('clientAuth') || ekus.has('1.3.6.1.5.5.7.3.2');
  return server && client ? 'SERVER_AND_CLIENT_AUTH' : client ? 'CLIENT_AUTH' : 'SERVER_AUTH';
}

/** YYYY-MM-DD no later than now + the lifetime: the enterprise API takes expiry dates, not times. */
function expiryDate(now: Date, lifetimeSeconds: number): string {
  return new Date(now.getTime() + lifetimeSeconds * 1000 - 86_400_000).toISOString().slice(0, 10);
}

export interface EnterpriseApi extends EntrustApi {
  /** Reads clients, organizations, domains and products (inventory). */
  syncAccount(signal?: AbortSignal): Promise<EntrustAccount>;
  /** Reissues the order that produced `request.replacesCertificatePem` with the new CSR (same order, new key). */
  reissue(request: IssueRequest): Promise<EntrustOrder>;
  /** Entrust administrator actions, for credentials that hold the 'Approve Requests' permission. */
  approve(orderId: string, signal?: AbortSignal): Promise<EntrustOrder>;
  decline(orderId: string, reason: string, signal?: AbortSignal): Promise<EntrustOrder>;
}

export function createEnterpriseApi(
  config: EntrustIssuerConfig,
  http: EntrustHttp,
  deps: { now: () => Date; logger: ConnectorLogger },
): EnterpriseApi {
  const root = config.api_url.replace(/\/+$/, '');
  const base = root.endsWith('/enterprise/v2') ? root : `${root}/enterprise/v2`;

  const toOrder = (detail: CertificateDetail, fallbackId?: string): EntrustOrder => {
    const orderId = detail.trackingId !== undefined ? String(detail.trackingId) : fallbackId;
    if (!orderId) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'entrust-response',
        message: 'the enterprise API answered an order without a trackingId',
      });
    }
    const state = detail.endEntityCert || detail.status ? stateOf(detail.status) : 'pending';
    const metadata: Record<string, string> = { entrust_tracking_id: orderId };
    if (detail.certType) metadata.entrust_cert_type = detail.certType;
    if (detail.org) metadata.entrust_organization = detail.org;
    if (detail.domainUsed) metadata.entrust_domain = detail.domainUsed;
    if (detail.status) metadata.entrust_status = detail.status;
    if (state === 'pending' || state === 'declined' || !detail.endEntityCert) {
      return {
        orderId,
        state: state === 'declined' ? 'declined' : 'pending',
        detail: state === 'declined' ? detail.declineReason : 'queued for approval by an Entrust administrator',
        chain: [],
        metadata,
      };
    }
    return { orderId, state, certificate: detail.endEntityCert, chain: detail.chainCerts ?? [], metadata };
  };

  const get = async (orderId: string, signal?: AbortSignal): Promise<EntrustOrder> => {
    if (!TRACKING_ID.test(orderId)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'order-id',
        message: `"${orderId.slice(0, 64)}" is not an Entrust trackingId`,
      });
    }
    const response = await http.call(
      { method: 'GET', url: `${base}/certificates/${orderId}`, signal },
      { what: `look up Entrust order ${orderId}`, permission: 'View Certificates' },
    );
    return toOrder(response.json<CertificateDetail>(), orderId);
  };

  /** An order's answer: the certificate when issued at once, else the order's current state. */
  const answered = async (body: CertificateDetail, signal?: AbortSignal): Promise<EntrustOrder> => {
    if (body.endEntityCert) return toOrder({ ...body, status: 'ACTIVE' });
    if (body.trackingId === undefined) return toOrder(body);
    return get(String(body.trackingId), signal);
  };

  const orderBody = (request: IssueRequest, certType: string): Record<string, unknown> => {
    const lifetime = requestedLifetimeSeconds(request);
    const tracking: Record<string, string> = { trackingInfo: `certctl ${request.requestId}`.slice(0, 128) };
    if (config.requester_name) tracking.requesterName = config.requester_name;
    if (config.requester_email) tracking.requesterEmail = config.requester_email;
    if (config.requester_phone) tracking.requesterPhone = config.requester_phone;
    return {
      csr: request.csrPem,
      certType,
      clientId: config.client_id,
      ...(config.organization ? { org: config.organization } : {}),
      eku: ekuOf(request),
      signingAlg: 'SHA-2',
      ctLog: config.ct_log,
      queueForApproval: config.queue_for_approval,
      subjectAltName: request.sans.dns,
      ...(lifetime ? { certExpiryDate: expiryDate(deps.now(), lifetime) } : { certLifetime: 'P1Y' }),
      tracking,
      endUserKeyStorageAgreement: false,
    };
  };

  // A certctl profile named like an Entrust product code (EV_SSL) orders that product; any other
  // profile name is certctl's own, and the configured cert_type applies.
  const certTypeOf = (request: IssueRequest): string =>
    request.profile && PRODUCT_CODE.test(request.profile) ? request.profile : config.cert_type;

  /** The tracking id of the order that produced a certificate, found by its serial. */
  const orderOfCertificate = async (pem: string, signal?: AbortSignal): Promise<string | undefined> => {
    const [leaf] = parseCertificateBundle(pem);
    if (!leaf) return undefined;
    return orderOfSerial(leaf.serialNumber, signal);
  };
  const orderOfSerial = async (serial: string, signal?: AbortSignal): Promise<string | undefined> => {
    const response = await http.call(
      {
        method: 'GET',
        url: `${base}/certificates?limit=1&offset=0&serialNumber=${encodeURIComponent(serial)}`,
        signal,
      },
      { what: `find the Entrust order of certificate ${serial}`, permission: 'View Certificates' },
    );
    const found = response.json<{ certificates?: CertificateDetail[] }>().certificates?.[0];
    return found?.trackingId === undefined ? undefined : String(found.trackingId);
  };

  const place = async (request: IssueRequest): Promise<EntrustOrder> => {
    const response = await http.call(
      {
        method: 'POST',
        url: `${base}/certificates`,
        body: orderBody(request, certTypeOf(request)),
        signal: request.signal,
        idempotent: false,
      },
      { what: 'order a certificate from Entrust', permission: 'Request Certificates' },
    );
    return answered(response.json<CertificateDetail>(), request.signal);
  };

  const onOrder = async (
    request: IssueRequest,
    operation: 'reissues' | 'renewals',
  ): Promise<EntrustOrder | undefined> => {
    if (!request.replacesCertificatePem) return undefined;
    const orderId = await orderOfCertificate(request.replacesCertificatePem, request.signal);
    if (!orderId) return undefined;
    const lifetime = requestedLifetimeSeconds(request);
    const body: Record<string, unknown> = {
      csr: request.csrPem,
      eku: ekuOf(request),
      ctLog: config.ct_log,
      subjectAltName: request.sans.dns,
      ...(operation === 'renewals' && lifetime ? { certExpiryDate: expiryDate(deps.now(), lifetime) } : {}),
    };
    const response = await http.call(
      {
        method: 'POST',
        url: `${base}/certificates/${orderId}/${operation}`,
        body,
        signal: request.signal,
        idempotent: false,
      },
      {
        what: `${operation === 'reissues' ? 'reissue' : 'renew'} Entrust order ${orderId}`,
        permission: 'Request Certificates',
      },
    );
    return answered(response.json<CertificateDetail>(), request.signal);
  };

  const patch = async (orderId: string, body: Record<string, unknown>, signal?: AbortSignal) => {
    if (!TRACKING_ID.test(orderId)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'order-id',
        message: 'not an Entrust trackingId',
      });
    }
    await http.call(
      { method: 'PATCH', url: `${base}/certificates/${orderId}`, body, signal, idempotent: false },
      { what: `${String(body.operation).toLowerCase()} Entrust order ${orderId}`, permission: 'Approve Requests' },
    );
    return get(orderId, signal);
  };

  const getList = async <T>(path: string, what: string, signal?: AbortSignal): Promise<T> =>
    (
      await http.call({ method: 'GET', url: `${base}/${path}`, signal }, { what, permission: 'View Certificates' })
    ).json<T>();

  return {
    place,
    async renew(request) {
      return (await onOrder(request, 'renewals')) ?? place(request);
    },
    async reissue(request) {
      const order = await onOrder(request, 'reissues');
      if (!order) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'certificate',
          message: 'reissue needs replacesCertificatePem of a certificate this Entrust account issued',
        });
      }
      return order;
    },
    lookup: get,
    approve: (orderId, signal) => patch(orderId, { operation: 'APPROVE' }, signal),
    decline: (orderId, reason, signal) => patch(orderId, { operation: 'DECLINE', declineReason: reason }, signal),
    async revoke(request: RevokeRequest) {
      const orderId = await orderOfSerial(request.serial, request.signal);
      if (!orderId) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'serial',
          message: `no Entrust order holds certificate ${request.serial}`,
        });
      }
      let crlReason = ENTERPRISE_REASONS[request.reason];
      if (!crlReason) {
        deps.logger.warn(
          { serial: request.serial, reason: request.reason },
          'Entrust has no revocation reason for this one; revoking as SUPERSEDED',
        );
        crlReason = 'SUPERSEDED';
      }
      await http.call(
        {
          method: 'POST',
          url: `${base}/certificates/${orderId}/revocations`,
          body: { crlReason, revocationComment: `revoked by certctl (${request.reason})` },
          signal: request.signal,
          idempotent: false,
        },
        { what: `revoke Entrust order ${orderId}`, permission: 'Revoke Certificates' },
      );
    },
    async *list(signal) {
      const limit = 100;
      for (let offset = 0; ; offset += limit) {
        const page = await getList<{ summary?: { total?: number }; certificates?: CertificateDetail[] }>(
          `certificates?limit=${limit}&offset=${offset}`,
          'list the Entrust account certificates',
          signal,
        );
        const items = page.certificates ?? [];
        for (const item of items) {
          const state = stateOf(item.status);
          if (state === 'pending' || state === 'declined' || item.trackingId === undefined) continue;
          const order = await get(String(item.trackingId), signal);
          if (order.certificate) yield order;
        }
        if (items.length < limit || offset + limit >= (page.summary?.total ?? 0)) break;
      }
    },
    syncAccount,
    async metadata(signal) {
      return accountJson(await syncAccount(signal));
    },
    async test(signal) {
      const account = await syncAccount(signal);
      const problems = accountProblems(config, account);
      if (problems.length > 0) throw new ConfigValidationError({ connector: CONNECTOR, issues: problems });
      return `enterprise API reachable as ${config.username}: ${account.organizations.length} organization(s), ${account.domains.length} domain(s), products ${account.products.map((p) => p.certType).join(', ') || 'none'}`;
    },
  };

  async function syncAccount(signal?: AbortSignal): Promise<EntrustAccount> {
    const clients = await getList<{
      clients?: { clientId: number; clientName?: string; verificationStatus?: string }[];
    }>('clients', 'read the Entrust clients', signal);
    const organizations = await getList<{ organizations?: EntrustAccount['organizations'] }>(
      'organizations',
      'read the Entrust organizations',
      signal,
    );
    const domains: EntrustAccount['domains'] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await getList<{ summary?: { total?: number }; domains?: EntrustAccount['domains'] }>(
        `domains?offset=${offset}&limit=100`,
        'read the Entrust domains',
        signal,
      );
      domains.push(...(page.domains ?? []));
      if ((page.domains ?? []).length < 100 || domains.length >= (page.summary?.total ?? 0)) break;
    }
    const inventories = await getList<{ inventories?: { certType: string; remaining?: number }[] }>(
      'inventories',
      'read the Entrust inventory',
      signal,
    );
    return {
      clients: (clients.clients ?? []).map((c) => ({
        clientId: c.clientId,
        name: c.clientName ?? String(c.clientId),
        verificationStatus: c.verificationStatus,
      })),
      organizations: organizations.organizations ?? [],
      domains: domains.map((d) => ({
        domainName: d.domainName,
        clientId: d.clientId,
        verificationStatus: d.verificationStatus,
      })),
      products: (inventories.inventories ?? []).map((i) => ({ certType: i.certType, remaining: i.remaining })),
      syncedAt: deps.now(),
    };
  }
}

/** The account as the app stores and offers it: snake_case JSON. */
export function accountJson(account: EntrustAccount): Record<string, unknown> {
  return {
    api_mode: 'enterprise',
    clients: account.clients.map((c) => ({
      client_id: c.clientId,
      name: c.name,
      verification_status: c.verificationStatus,
    })),
    organizations: account.organizations.map((o) => ({
      name: o.name,
      client_id: o.clientId,
      verification_status: o.verificationStatus,
    })),
    domains: account.domains.map((d) => ({
      domain: d.domainName,
      client_id: d.clientId,
      verification_status: d.verificationStatus,
    })),
    products: account.products.map((p) => ({ cert_type: p.certType, remaining: p.remaining })),
    synced_at: account.syncedAt.toISOString(),
  };
}

/** Config that names what the account does not have. */
export function accountProblems(
  config: EntrustIssuerConfig,
  account: EntrustAccount,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!account.products.some((p) => p.certType === config.cert_type)) {
    problems.push({
      path: 'cert_type',
      message: `the account offers ${account.products.map((p) => p.certType).join(', ') || 'no products'}, not ${config.cert_type}`,
    });
  }
  if (config.organization && !account.organizations.some((o) => o.name === config.organization)) {
    problems.push({
      path: 'organization',
      message: `"${config.organization}" is not a verified organization of this account`,
    });
  }
  if (!account.clients.some((c) => c.clientId === config.client_id)) {
    problems.push({ path: 'client_id', message: `client ${config.client_id} does not exist in this account` });
  }
  return problems;
}
