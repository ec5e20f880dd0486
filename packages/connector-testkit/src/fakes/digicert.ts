import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, type TestCa } from '../test-pki.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';
import { pemLines, readFakeCsr, signForFakeCa } from './fake-ca-signing.js';

/** An order status as CertCentral reports it. */
export type DigicertOrderStatus = 'needs_approval' | 'pending' | 'issued' | 'rejected' | 'revoked' | 'expired';

export interface DigicertFakeOrder {
  id: number;
  productNameId: string;
  status: DigicertOrderStatus;
  organizationId: number;
  commonName: string;
  dnsNames: string[];
  csrPem?: string;
  validityDays: number;
  requestId: number;
  /** Set once issued. */
  certificate?: { id: number; pem: string; serial: string; validFrom: Date; validTill: Date };
  rejectReason?: string;
  renewalOfOrderId?: number;
  revokeReason?: string;
  /** getOrder calls left before the fake administrator approves it (auto-approval with a delay). */
  approveAfterChecks?: number;
  createdAt: Date;
}

export interface FakeDigicert {
  /** The Services API v2 base URL to configure (`<origin>/services/v2`). */
  baseUrl: string;
  caPem?: string;
  /** The CA that signs the certificates; its PEM is what `openssl verify -CAfile` needs. */
  issuingCa: TestCa;
  apiKey: string;
  /** A key that authenticates but may only view (its orders answer 403 access_denied). */
  viewOnlyApiKey: string;
  organizationId: number;
  orders: Map<number, DigicertFakeOrder>;
  vendor: FakeVendor;
  faults: FaultQueue;
  /**
   * What a new order does: `issue` (DV with pre-validated domains: the chain is in the create
   * response), `pending` (waits for `approve`/`reject`), or `{ afterChecks: n }` (approved by itself
   * after n status checks).
   */
  approval: 'issue' | 'pending' | { afterChecks: number };
  /** The administrator approves the order and DigiCert issues it. */
  approve(orderId: number | string): Promise<DigicertFakeOrder>;
  /** The administrator rejects it with a reason. */
  reject(orderId: number | string, reason: string): DigicertFakeOrder;
  /** Adds issued (or expired) orders placed before certctl knew them; returns their ids. */
  seedExistingOrders(
    count: number,
    options?: { expired?: boolean; productNameId?: string; domain?: string },
  ): Promise<number[]>;
  /** The next request gets 429 with `Retry-After: seconds`. */
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

export const DIGICERT_PRODUCTS = [
  'ssl_basic',
  'ssl_plus',
  'ssl_ev_basic',
  'ssl_ev_plus',
  'ssl_securesite_pro',
] as const;

/** CertCentral's error envelope: `{"errors":[{"code":..,"message":..}]}`. */
function dcError(status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers, body: { errors: [{ code, message }] } };
}

const REVOKE_REASONS = new Set([
  'unspecified',
  'key_compromise',
  'affiliation_changed',
  'superseded',
  'cessation_of_operation',
]);

/**
 * A fake DigiCert CertCentral Services API v2, as DigiCert documents it: `X-DC-DEVKEY` on every call
 * (401 `invalid_api_key`, 403 `access_denied`), `POST /order/certificate/{product}`,
 * `GET /order/certificate[/{id}]`, `GET /certificate/{id}/download/format/{pem_all|pem_noroot}`,
 * `PUT /certificate/{id}/revoke`, `GET /user/me`; orders wait for the test's approve/reject; 429 with
 * Retry-After on demand. Certificates are signed by a test CA.
 */
export async function startFakeDigicert(
  options: { organizationId?: number; approval?: FakeDigicert['approval'] } = {},
): Promise<FakeDigicert> {
  const apiKey = randomBytes(24).toString('hex').toUpperCase();
  const viewOnlyApiKey = randomBytes(24).toString('hex').toUpperCase();
  const organizationId = options.organizationId ?? 112_233;
  const issuingCa = await createTestCa({ commonName: 'certctl fake DigiCert TLS RSA SHA256 2020 CA1' });
  const orders = new Map<number, DigicertFakeOrder>();
  const faults = createFaultQueue();
  let nextOrderId = 9_000_001;
  let nextCertificateId = 5_000_001;
  let nextRequestId = 700_001;

  const orderOf = (id: number | string): DigicertFakeOrder => {
    const order = orders.get(Number(id));
    if (!order) throw new Error(`no such fake DigiCert order ${id}`);
    return order;
  };

  const issueOrder = async (order: DigicertFakeOrder, notBefore?: Date) => {
    const signed = await signForFakeCa(issuingCa, {
      csrPem: order.csrPem,
      commonName: order.commonName,
      dnsNames: order.dnsNames,
      validityDays: order.validityDays,
      notBefore,
    });
    order.certificate = {
      id: nextCertificateId++,
      pem: signed.certificatePem,
      serial: signed.serial,
      validFrom: signed.notBefore,
      validTill: signed.notAfter,
    };
    order.status = signed.notAfter.getTime() < Date.now() ? 'expired' : 'issued';
    return order;
  };

  const fake: FakeDigicert = {
    baseUrl: '',
    issuingCa,
    apiKey,
    viewOnlyApiKey,
    organizationId,
    orders,
    faults,
    approval: options.approval ?? 'pending',
    vendor: undefined as unknown as FakeVendor,
    caPem: undefined,
    approve: (id) => {
      const order = orderOf(id);
      if (order.status !== 'pending' && order.status !== 'needs_approval')
        throw new Error(`order ${id} is ${order.status}`);
      return issueOrder(order);
    },
    reject: (id, reason) => {
      const order = orderOf(id);
      order.status = 'rejected';
      order.rejectReason = reason;
      return order;
    },
    async seedExistingOrders(count, seed = {}) {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const id = nextOrderId++;
        const label = `${seed.expired ? 'old' : 'legacy'}-${id}`;
        const commonName = `${label}.${seed.domain ?? 'example.com'}`;
        const order: DigicertFakeOrder = {
          id,
          productNameId: seed.productNameId ?? 'ssl_basic',
          status: 'pending',
          organizationId,
          commonName,
          dnsNames: [commonName, `www.${commonName}`],
          validityDays: seed.expired ? 30 : 199,
          requestId: nextRequestId++,
          createdAt: new Date(),
        };
        orders.set(id, order);
        await issueOrder(order, seed.expired ? new Date(Date.now() - 90 * 86_400_000) : undefined);
        ids.push(id);
      }
      return ids;
    },
    rateLimitNext(seconds) {
      faults.push(
        dcError(429, 'rate_limit_exceeded', 'Too many requests. Please retry later.', {
          'retry-after': String(seconds),
        }),
      );
    },
    close: () => fake.vendor.close(),
  };

  /** Auth first, as CertCentral does: no or unknown key is 401, a view-only key may not write. */
  const guard =
    (handler: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>, write = false) =>
    async (request: FakeRequest): Promise<FakeResponse> => {
      const fault = faults.take();
      if (fault) return fault;
      const key = request.headers['x-dc-devkey'];
      if (key !== apiKey && key !== viewOnlyApiKey)
        return dcError(401, 'invalid_api_key', 'The specified API key is invalid.');
      if (write && key !== apiKey)
        return dcError(403, 'access_denied', 'You do not have permission to perform this action.');
      if (request.method !== 'GET' && !(request.headers['content-type'] ?? '').startsWith('application/json'))
        return dcError(415, 'invalid_content_type', 'The content type must be application/json.');
      return handler(request);
    };

  const orderView = (order: DigicertFakeOrder) => ({
    id: order.id,
    certificate: {
      ...(order.certificate && { id: order.certificate.id }),
      common_name: order.commonName,
      dns_names: order.dnsNames,
      signature_hash: 'sha256',
      ...(order.certificate && {
        serial_number: order.certificate.serial.toUpperCase(),
        valid_from: order.certificate.validFrom.toISOString().slice(0, 10),
        valid_till: order.certificate.validTill.toISOString().slice(0, 10),
      }),
    },
    status: order.status,
    is_renewal: order.renewalOfOrderId !== undefined,
    ...(order.renewalOfOrderId !== undefined && { renewed_order_id: order.renewalOfOrderId }),
    date_created: order.createdAt.toISOString().replace('T', ' ').slice(0, 19),
    organization: { id: order.organizationId, name: 'certctl Test Org' },
    product: { name_id: order.productNameId, name: order.productNameId, type: 'ssl_certificate' },
    validity_days: order.validityDays,
    requests: [
      {
        id: order.requestId,
        status:
          order.status === 'rejected' ? 'rejected' : order.status === 'pending' ? 'pending' : ('approved' as string),
        ...(order.rejectReason && { processor_comment: order.rejectReason }),
      },
    ],
  });

  const createOrder = async (request: FakeRequest): Promise<FakeResponse> => {
    const product = request.params.product!;
    if (!(DIGICERT_PRODUCTS as readonly string[]).includes(product))
      return dcError(404, 'invalid_product', `Product "${product}" is not available for this account.`);
    const body = parseJsonBody(request.text());
    if (!isRecord(body)) return dcError(400, 'invalid_json', 'The request body is not valid JSON.');
    const cert = body.certificate;
    if (!isRecord(cert)) return dcError(400, 'missing_param|certificate', 'certificate is required.');
    if (typeof cert.common_name !== 'string' || cert.common_name.length === 0)
      return dcError(400, 'missing_param|certificate.common_name', 'certificate.common_name is required.');
    const csr = await readFakeCsr(cert.csr);
    if (!csr) return dcError(400, 'invalid_csr', 'The CSR is invalid or its signature does not verify.');
    const org = body.organization;
    if (!isRecord(org) || typeof org.id !== 'number')
      return dcError(400, 'missing_param|organization.id', 'organization.id is required.');
    if (org.id !== organizationId)
      return dcError(403, 'access_denied|organization', `Organization ${org.id} is not available to this account.`);
    const validity = isRecord(body.order_validity) ? body.order_validity : undefined;
    const days =
      typeof validity?.days === 'number'
        ? validity.days
        : typeof validity?.years === 'number'
          ? validity.years * 365
          : typeof body.validity_years === 'number'
            ? body.validity_years * 365
            : undefined;
    if (days === undefined || !Number.isInteger(days) || days < 1 || days > 397)
      return dcError(400, 'invalid_validity', 'order_validity must be 1 to 397 days.');
    let renewalOf: number | undefined;
    if (body.renewal_of_order_id !== undefined) {
      renewalOf = Number(body.renewal_of_order_id);
      if (!orders.has(renewalOf))
        return dcError(400, 'invalid_renewal_of_order_id', `Order ${body.renewal_of_order_id} cannot be renewed.`);
    }
    const dnsNames = Array.isArray(cert.dns_names) ? cert.dns_names.map(String) : [];
    const order: DigicertFakeOrder = {
      id: nextOrderId++,
      productNameId: product,
      status: 'pending',
      organizationId,
      commonName: cert.common_name,
      dnsNames: [...new Set([cert.common_name, ...dnsNames])],
      csrPem: csr.pem,
      validityDays: days,
      requestId: nextRequestId++,
      renewalOfOrderId: renewalOf,
      createdAt: new Date(),
    };
    orders.set(order.id, order);
    if (fake.approval === 'issue') {
      await issueOrder(order);
      return {
        status: 201,
        body: {
          id: order.id,
          certificate_id: order.certificate!.id,
          certificate_chain: [
            { subject_common_name: order.commonName, pem: order.certificate!.pem },
            { subject_common_name: 'certctl fake DigiCert TLS RSA SHA256 2020 CA1', pem: issuingCa.certificatePem },
          ],
        },
      };
    }
    if (typeof fake.approval === 'object') order.approveAfterChecks = fake.approval.afterChecks;
    return { status: 201, body: { id: order.id, requests: [{ id: order.requestId, status: 'pending' }] } };
  };

  const getOrder = async (request: FakeRequest): Promise<FakeResponse> => {
    const order = orders.get(Number(request.params.id));
    if (!/^\d+$/.test(request.params.id!) || !order) return dcError(404, 'not_found|order', 'Order not found.');
    if (order.status === 'pending' && order.approveAfterChecks !== undefined) {
      if (order.approveAfterChecks <= 0) await issueOrder(order);
      else order.approveAfterChecks--;
    }
    return { body: orderView(order) };
  };

  const listOrders = (request: FakeRequest): FakeResponse => {
    const limit = Number(request.url.searchParams.get('limit') ?? 1000);
    const offset = Number(request.url.searchParams.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(offset) || offset < 0)
      return dcError(400, 'invalid_param|limit', 'limit must be 1 to 1000 and offset 0 or more.');
    const status = request.url.searchParams.get('filters[status]');
    const search = request.url.searchParams.get('filters[search]')?.toLowerCase();
    const all = [...orders.values()].filter(
      (o) =>
        (!status || o.status === status) &&
        // The search matches order ids and common names, not serial numbers.
        (!search || String(o.id) === search || o.commonName.toLowerCase().includes(search)),
    );
    return {
      body: {
        orders: all.slice(offset, offset + limit).map(orderView),
        page: { total: all.length, limit, offset },
      },
    };
  };

  const certificateOf = (id: string | undefined) =>
    [...orders.values()].find((o) => o.certificate && String(o.certificate.id) === id);

  const download = (request: FakeRequest): FakeResponse => {
    const order = certificateOf(request.params.id);
    if (!order) return dcError(404, 'not_found|certificate', 'Certificate not found.');
    const format = request.params.format;
    if (format !== 'pem_all' && format !== 'pem_noroot')
      return dcError(400, 'invalid_format', `Format "${format}" is not supported.`);
    // Our test CA is the root: pem_noroot is the leaf alone, pem_all adds the root.
    const body =
      format === 'pem_all'
        ? pemLines(order.certificate!.pem, issuingCa.certificatePem)
        : pemLines(order.certificate!.pem);
    return { headers: { 'content-type': 'application/x-pem-file' }, body };
  };

  const revoke = (request: FakeRequest): FakeResponse => {
    const order = certificateOf(request.params.id);
    if (!order) return dcError(404, 'not_found|certificate', 'Certificate not found.');
    const body = parseJsonBody(request.text());
    if (!isRecord(body)) return dcError(400, 'invalid_json', 'The request body is not valid JSON.');
    if (body.reason !== undefined && (typeof body.reason !== 'string' || !REVOKE_REASONS.has(body.reason)))
      return dcError(400, 'invalid_revocation_reason', `"${String(body.reason)}" is not a revocation reason.`);
    if (order.status === 'revoked') return dcError(400, 'already_revoked', 'The certificate is already revoked.');
    order.status = 'revoked';
    order.revokeReason = (body.reason as string | undefined) ?? 'unspecified';
    return {
      status: 201,
      body: {
        id: nextRequestId++,
        date: new Date().toISOString(),
        type: 'revoke',
        status: body.skip_approval === true ? 'approved' : 'pending',
        comments: typeof body.comments === 'string' ? body.comments : '',
      },
    };
  };

  const vendor = await startFakeVendor({
    routes: {
      'POST /services/v2/order/certificate/:product': guard(createOrder, true),
      'GET /services/v2/order/certificate/:id': guard(getOrder),
      'GET /services/v2/order/certificate': guard(listOrders),
      'GET /services/v2/certificate/:id/download/format/:format': guard(download),
      'PUT /services/v2/certificate/:id/revoke': guard(revoke, true),
      'GET /services/v2/user/me': guard((request) => ({
        body: {
          id: 42,
          username: 'certctl-api',
          status: 'active',
          container: { id: 1, name: 'certctl' },
          access_roles: [
            { id: 1, name: request.headers['x-dc-devkey'] === apiKey ? 'Administrator' : 'Finance Manager' },
          ],
        },
      })),
    },
  });
  fake.vendor = vendor;
  fake.caPem = vendor.caPem;
  fake.baseUrl = `${vendor.url}/services/v2`;
  return fake;
}
