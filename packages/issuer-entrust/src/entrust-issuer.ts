/**
 * Entrust as an issuer, in either API mode: orders that an administrator must approve come back
 * pending and are followed with getOrder; issued certificates are checked against the CSR's key.
 */
import { checkedCsrKey } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  type OrderResult,
  UnsupportedOperationError,
} from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { EntrustApi } from './entrust-api.js';
import type { EntrustIssuerConfig } from './entrust-config.js';
import { createEntrustHttp } from './entrust-http.js';
import { type EntrustOrder, existingCertificate, orderResult } from './entrust-order.js';
import {
  accountJson,
  accountProblems,
  createEnterpriseApi,
  type EnterpriseApi,
  type EntrustAccount,
} from './enterprise-api.js';
import { createGatewayApi } from './gateway-api.js';

export interface EntrustIssuer
  extends Required<
    Pick<
      IssuerInstance,
      'getOrder' | 'revoke' | 'listExisting' | 'accountMetadata' | 'testConnection' | 'start' | 'stop'
    >
  > {
  issue(request: IssueRequest): Promise<IssueResult>;
  renew(request: IssueRequest): Promise<IssueResult>;
  /** Enterprise mode: a new certificate on the same order with a new key (`replacesCertificatePem` names the order). */
  reissue(request: IssueRequest): Promise<IssueResult>;
  /** Enterprise mode: the account's organizations, domains and products, read at start and on demand. */
  syncAccount(options?: { signal?: AbortSignal }): Promise<EntrustAccount>;
  /** The last account sync (enterprise mode), for the server to offer products, organizations and domains. */
  readonly account: EntrustAccount | undefined;
  /** Enterprise mode, with the 'Approve Requests' permission: act as the Entrust administrator. */
  approveOrder(orderId: string, options?: { signal?: AbortSignal }): Promise<OrderResult>;
  declineOrder(orderId: string, reason: string, options?: { signal?: AbortSignal }): Promise<OrderResult>;
}

export function createEntrustIssuer(
  config: EntrustIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): EntrustIssuer {
  const http = createEntrustHttp(config, ctx, version);
  const enterprise: EnterpriseApi | undefined =
    config.api_mode === 'enterprise'
      ? createEnterpriseApi(config, http, { now: () => ctx.clock.now(), logger: ctx.logger })
      : undefined;
  const api: EntrustApi = enterprise ?? createGatewayApi(config, http);
  let account: EntrustAccount | undefined;

  const needEnterprise = (what: string): EnterpriseApi => {
    if (!enterprise) {
      throw new UnsupportedOperationError({
        connector: CONNECTOR,
        operation: what,
        message: `${what} is an enterprise API feature; set api_mode to enterprise`,
      });
    }
    return enterprise;
  };

  const submit = async (
    request: IssueRequest,
    place: (r: IssueRequest) => Promise<EntrustOrder>,
  ): Promise<IssueResult> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const order = await place(request);
    const result = orderResult(order, spki);
    if (result.status === 'failed') {
      // An order declined on submission is still an order: getOrder reports the decline at once.
      return { status: 'pending', orderId: order.orderId, retryAfterSeconds: 0, detail: result.reason };
    }
    ctx.logger.info(
      { orderId: order.orderId, state: order.state, mode: config.api_mode },
      result.status === 'issued' ? 'Entrust issued the certificate' : 'Entrust queued the order for approval',
    );
    ctx.metrics.increment('entrust_orders_total', { mode: config.api_mode, state: order.state });
    return result;
  };

  const sync = async (signal?: AbortSignal): Promise<EntrustAccount> => {
    account = await needEnterprise('account sync').syncAccount(signal);
    for (const problem of accountProblems(config, account)) {
      ctx.logger.warn({ key: problem.path }, `Entrust account sync: ${problem.message}`);
    }
    ctx.logger.info(
      {
        organizations: account.organizations.length,
        domains: account.domains.length,
        products: account.products.map((p) => p.certType),
      },
      'Entrust account synchronised',
    );
    return account;
  };

  return {
    get account() {
      return account;
    },
    async start() {
      if (!enterprise) return;
      try {
        await sync(ctx.signal);
      } catch (error) {
        // The runtime creates a fresh instance on its next try: this one's connections must not linger.
        await http.close();
        throw error;
      }
    },
    async stop() {
      await http.close();
    },
    issue: (request) => submit(request, (r) => api.place(r)),
    renew: (request) =>
      submit(request, (r) =>
        enterprise && r.metadata.entrust_operation === 'reissue' ? enterprise.reissue(r) : api.renew(r),
      ),
    reissue: (request) => submit(request, (r) => needEnterprise('reissue').reissue(r)),
    async getOrder(orderId, options) {
      return orderResult(await api.lookup(orderId, options?.signal));
    },
    async revoke(request) {
      await api.revoke(request);
      ctx.logger.info({ serial: request.serial, reason: request.reason }, 'Entrust revoked the certificate');
    },
    async *listExisting(options) {
      for await (const order of api.list(options?.signal)) yield existingCertificate(order);
    },
    syncAccount: (options) => sync(options?.signal),
    async accountMetadata(options) {
      if (!enterprise) return api.metadata(options?.signal);
      return accountJson(await sync(options?.signal));
    },
    async approveOrder(orderId, options) {
      return orderResult(await needEnterprise('approving an order').approve(orderId, options?.signal));
    },
    async declineOrder(orderId, reason, options) {
      return orderResult(await needEnterprise('declining an order').decline(orderId, reason, options?.signal));
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      return { ok: true, detail: await api.test(options?.signal) };
    },
  };
}
