/**
 * DigiCert CertCentral as an issuer: an order per certificate (`POST /order/certificate/{product}`),
 * followed through `GET /order/certificate/{id}` while DigiCert validates (pending for as long as
 * that takes), the chain downloaded from `/certificate/{id}/download/format/pem_all`, revocation by
 * `PUT /certificate/{id}/revoke`, and the account's existing orders listed for import.
 */
import {
  checkedCsrKey,
  issuedCertificateFromBundle,
  pollUntil,
  splitCertificates,
  validateArgument,
} from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  type ExistingCertificate,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  MalformedInputError,
  type OrderResult,
  type PendingOrder,
  type RevocationReason,
  type RevokeRequest,
  VendorApiError,
} from '@certctl/core';
import { createDigicertClient, digicertErrors } from './digicert-client.js';
import type { DigicertIssuerConfig } from './digicert-config.js';
import { CONNECTOR } from './connector-name.js';

/** An order as `GET /order/certificate/{id}` (and the list) describe it; only what we read. */
export interface DigicertOrder {
  id: number;
  status: string;
  certificate?: {
    id?: number;
    common_name?: string;
    dns_names?: string[];
    serial_number?: string;
    valid_till?: string;
  };
  product?: { name_id?: string };
  organization?: { id?: number };
  requests?: { id?: number; status?: string; processor_comment?: string; comments?: string }[];
}

interface CreateOrderResponse {
  id: number;
  certificate_id?: number;
  certificate_chain?: { pem?: string }[];
}

/** States in which DigiCert is still working on the order (validation, approval, issuance). */
const WAITING = new Set(['needs_approval', 'pending', 'processing', 'reissue_pending', 'awaiting_approval']);
const ISSUED = new Set(['issued']);

const REVOKE_REASON: Partial<Record<RevocationReason, string>> = {
  keyCompromise: 'key_compromise',
  affiliationChanged: 'affiliation_changed',
  superseded: 'superseded',
  cessationOfOperation: 'cessation_of_operation',
};

/** The metadata key the server sets on a renewal: the CA order of the version being replaced. */
export const PREVIOUS_ORDER_KEY = 'previous_order_id';

export type DigicertIssuer = Required<
  Pick<IssuerInstance, 'issue' | 'renew' | 'getOrder' | 'revoke' | 'listExisting' | 'testConnection' | 'stop'>
>;

function orderNumber(orderId: string): string {
  if (!/^\d{1,12}$/.test(orderId))
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'order-id',
      message: `"${orderId.slice(0, 40)}" is not a DigiCert order id (digits)`,
    });
  return orderId;
}

export function createDigicertIssuer(
  config: DigicertIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): DigicertIssuer {
  const client = createDigicertClient(config, ctx, version);

  const download = async (certificateId: number, signal?: AbortSignal): Promise<string[]> => {
    const response = await client.call({
      method: 'GET',
      path: `certificate/${certificateId}/download/format/pem_all`,
      signal,
      permission: 'download certificates',
    });
    return splitCertificates(response.text());
  };

  const rejectionReason = (order: DigicertOrder): string => {
    const said = order.requests?.map((r) => r.processor_comment ?? '').find(Boolean);
    return said ? `DigiCert rejected order ${order.id}: ${said.slice(0, 300)}` : `DigiCert rejected order ${order.id}`;
  };

  /** One look at an order: issued (chain downloaded), still pending, or failed with DigiCert's reason. */
  const look = async (orderId: string, csrSpki: Uint8Array | undefined, signal?: AbortSignal): Promise<OrderResult> => {
    const order = await client.json<DigicertOrder>({
      method: 'GET',
      path: `order/certificate/${orderNumber(orderId)}`,
      signal,
      permission: 'view orders',
    });
    if (ISSUED.has(order.status) && order.certificate?.id) {
      return issuedCertificateFromBundle(await download(order.certificate.id, signal), {
        connector: CONNECTOR,
        source: `DigiCert order ${orderId}`,
        csrSpki,
        orderId,
      });
    }
    if (WAITING.has(order.status) || ISSUED.has(order.status)) {
      return {
        status: 'pending',
        orderId,
        retryAfterSeconds: 60,
        detail: `DigiCert order ${orderId} is ${order.status.replace(/_/g, ' ')} (domain or organization validation, or approval, at DigiCert)`,
      };
    }
    if (order.status === 'rejected') return { status: 'failed', orderId, reason: rejectionReason(order) };
    return { status: 'failed', orderId, reason: `DigiCert order ${orderId} is ${order.status}` };
  };

  /** After placing an order: wait up to issue_wait_seconds; the order id is never lost to an error here. */
  const waitBriefly = async (orderId: string, csrSpki: Uint8Array, signal?: AbortSignal): Promise<IssueResult> => {
    let last: OrderResult | undefined;
    try {
      const done = await pollUntil<OrderResult>({
        check: async () => {
          last = await look(orderId, csrSpki, signal);
          return last.status === 'pending' ? { done: false } : { done: true, value: last };
        },
        description: `DigiCert order ${orderId}`,
        connector: CONNECTOR,
        schedule: [2_000, 5_000, 10_000],
        maxWaitMs: config.issue_wait_seconds * 1000,
        signal,
        clock: ctx.clock,
        logger: ctx.logger,
      });
      if (done.status === 'failed')
        throw new ConnectorError({ connector: CONNECTOR, message: done.reason, retryable: false });
      return done;
    } catch (error) {
      if (
        ConnectorError.isInstance(error) &&
        !DeadlineExceededError.isInstance(error) &&
        !VendorApiError.isInstance(error)
      )
        throw error;
      if (!DeadlineExceededError.isInstance(error))
        ctx.logger.warn(
          { order_id: orderId, error: (error as Error).message },
          'checking the new DigiCert order failed; it stays pending',
        );
      const pending: PendingOrder =
        last?.status === 'pending'
          ? last
          : { status: 'pending', orderId, retryAfterSeconds: 60, detail: `DigiCert order ${orderId} placed` };
      return pending;
    }
  };

  const order = async (request: IssueRequest, renewalOf?: string): Promise<IssueResult> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const maxDays = request.maxTtlSeconds
      ? Math.max(1, Math.floor(request.maxTtlSeconds / 86_400))
      : Number.POSITIVE_INFINITY;
    const days = Math.min(config.validity_days, maxDays);
    const dnsNames = [...new Set([request.commonName, ...request.sans.dns])];
    const created = await client.json<CreateOrderResponse>({
      method: 'POST',
      path: `order/certificate/${config.product_type}`,
      permission: 'place orders',
      signal: request.signal,
      body: {
        certificate: {
          common_name: request.commonName,
          dns_names: dnsNames,
          csr: request.csrPem,
          signature_hash: 'sha256',
          server_platform: { id: -1 },
        },
        organization: { id: config.org_id },
        order_validity: { days },
        payment_method: 'balance',
        skip_approval: config.skip_approval,
        disable_renewal_notifications: true,
        comments: `certctl request ${request.requestId}`,
        ...(renewalOf && { renewal_of_order_id: Number(renewalOf) }),
      },
    });
    if (typeof created?.id !== 'number')
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'digicert-response',
        message: 'the new order has no id',
      });
    const orderId = String(created.id);
    ctx.logger.info(
      { order_id: orderId, product: config.product_type, renewal_of: renewalOf },
      'DigiCert order placed',
    );
    ctx.metrics.increment('digicert_orders_total', { product: config.product_type });
    const chain = (created.certificate_chain ?? []).map((c) => c.pem ?? '').filter(Boolean);
    if (chain.length > 0)
      return issuedCertificateFromBundle(chain, {
        connector: CONNECTOR,
        source: `DigiCert order ${orderId}`,
        csrSpki: spki,
        orderId,
      });
    return waitBriefly(orderId, spki, request.signal);
  };

  /**
   * The certificate id behind a serial: DigiCert's search first, then the order list page by page
   * (the search does not match serials on every account), comparing each order's serial_number.
   */
  const findCertificateId = async (
    serial: string,
    signal?: AbortSignal,
  ): Promise<{ certificateId: number; orderId: number }> => {
    const wanted = validateArgument(serial, 'hex-serial', CONNECTOR)
      .toLowerCase()
      .replace(/^(00)+(?=.)/, '');
    const matching = (orders: DigicertOrder[] | undefined) =>
      (orders ?? []).find(
        (o) => o.certificate?.id && o.certificate.serial_number?.toLowerCase().replace(/^(00)+(?=.)/, '') === wanted,
      );
    const listed = (query: Record<string, string>) =>
      client.json<{ orders?: DigicertOrder[]; page?: { total?: number } }>({
        method: 'GET',
        path: 'order/certificate',
        query,
        signal,
        permission: 'view orders',
      });
    let match = matching((await listed({ 'filters[search]': wanted, limit: '100' })).orders);
    const limit = 1000;
    for (let offset = 0; !match; offset += limit) {
      const page = await listed({ limit: String(limit), offset: String(offset) });
      match = matching(page.orders);
      if ((page.orders ?? []).length < limit || offset + limit >= (page.page?.total ?? 0)) break;
    }
    if (!match)
      throw new ConnectorError({
        connector: CONNECTOR,
        retryable: false,
        message: `no DigiCert order holds a certificate with serial ${wanted}; revoke it in CertCentral if it was issued elsewhere`,
      });
    return { certificateId: match.certificate!.id!, orderId: match.id };
  };

  return {
    issue: (request) => order(request),
    async renew(request) {
      const previous = request.metadata[PREVIOUS_ORDER_KEY];
      return order(request, previous && /^\d{1,12}$/.test(previous) ? previous : undefined);
    },
    getOrder: (orderId, options) => look(orderId, undefined, options?.signal),
    async revoke(request: RevokeRequest) {
      const { certificateId, orderId } = await findCertificateId(request.serial, request.signal);
      try {
        await client.call({
          method: 'PUT',
          path: `certificate/${certificateId}/revoke`,
          permission: 'revoke certificates',
          signal: request.signal,
          body: {
            reason: REVOKE_REASON[request.reason] ?? 'unspecified',
            comments: `revoked by certctl (${request.reason})`,
            skip_approval: config.skip_approval,
          },
        });
      } catch (error) {
        // A retried PUT whose first attempt went through finds it revoked already.
        if (!(VendorApiError.isInstance(error) && digicertErrors(error.body)?.codes.includes('already_revoked')))
          throw error;
      }
      ctx.logger.info(
        { order_id: orderId, serial: request.serial, reason: request.reason },
        'DigiCert revoked the certificate',
      );
    },
    async *listExisting(options) {
      const limit = 100;
      for (let offset = 0; ; offset += limit) {
        const page = await client.json<{ orders?: DigicertOrder[]; page?: { total?: number } }>({
          method: 'GET',
          path: 'order/certificate',
          query: { limit: String(limit), offset: String(offset) },
          signal: options?.signal,
          permission: 'view orders',
        });
        const orders = page.orders ?? [];
        for (const existing of orders) {
          if (!(existing.status === 'issued' || existing.status === 'expired') || !existing.certificate?.id) continue;
          const pems = await download(existing.certificate.id, options?.signal);
          const issued = issuedCertificateFromBundle(pems, {
            connector: CONNECTOR,
            source: `DigiCert order ${existing.id}`,
            orderId: String(existing.id),
          });
          const item: ExistingCertificate = {
            certificatePem: issued.certificatePem,
            chainPem: issued.chainPem,
            orderId: String(existing.id),
            metadata: {
              product: existing.product?.name_id ?? '',
              status: existing.status,
              common_name: existing.certificate.common_name ?? '',
              organization_id: String(existing.organization?.id ?? ''),
            },
          };
          yield item;
        }
        if (orders.length < limit || offset + limit >= (page.page?.total ?? 0)) return;
      }
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const me = await client.json<{ username?: string; access_roles?: { name?: string }[] }>({
        method: 'GET',
        path: 'user/me',
        signal: options?.signal,
        permission: 'read its own user',
      });
      const roles =
        (me.access_roles ?? [])
          .map((r) => r.name)
          .filter(Boolean)
          .join(', ') || 'no role';
      return {
        ok: true,
        detail: `API key of ${me.username ?? 'an unnamed user'} (${roles}); orders ${config.product_type} for organization ${config.org_id}`,
      };
    },
    stop: () => client.close(),
  };
}
