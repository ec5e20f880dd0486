import { createHttpClient } from '@certctl/connector-utils';
import {
  type ConnectorContext,
  defineIssuer,
  type IssuedCertificate,
  type IssuerInstance,
  type OrderResult,
  secret,
  VendorApiError,
} from '@certctl/core';
import { z } from 'zod';

export const VERSION: string = __PACKAGE_VERSION__;

const CONNECTOR = 'issuer-example';

/** Wire config: snake_case JSON, validated once at the edge. */
export const exampleConfig = z.object({
  api_url: z.url(),
  api_key: secret(z.string().min(1)),
  validity_days: z.number().int().positive().max(398).default(90),
  request_timeout_seconds: z.number().int().positive().default(30),
});
export type ExampleConfig = z.output<typeof exampleConfig>;

/** The vendor's order resource, as its API documents it. */
interface VendorOrder {
  id: string;
  status: 'pending' | 'issued' | 'rejected';
  certificate?: string;
  chain?: string[];
  serial?: string;
  not_before?: string;
  not_after?: string;
  reason?: string;
}

function normalizeSerial(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^(00)+(?=..)/, '');
}

export function createExampleIssuer(config: ExampleConfig, ctx: ConnectorContext): IssuerInstance {
  // The one HTTP client: deadlines, the app's SSRF policy (ctx.network), retries with backoff, typed errors.
  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    baseUrl: config.api_url.replace(/\/+$/, ''),
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000 },
    userAgent: `certctl-${CONNECTOR}/${VERSION}`,
    defaultHeaders: { authorization: `Bearer ${config.api_key}` },
    errors: { hint: (status) => (status === 401 || status === 403 ? 'check api_key' : undefined) },
  });
  async function call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const text = (await http.request({ method, url: path, body, signal })).text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  function toResult(order: VendorOrder): OrderResult {
    if (order.status === 'pending') return { status: 'pending', orderId: order.id, retryAfterSeconds: 5 };
    if (order.status === 'rejected' || !order.certificate || !order.serial || !order.not_before || !order.not_after) {
      return { status: 'failed', orderId: order.id, reason: order.reason ?? 'the CA returned no certificate' };
    }
    const issued: IssuedCertificate = {
      status: 'issued',
      certificatePem: order.certificate,
      chainPem: order.chain ?? [],
      serial: normalizeSerial(order.serial),
      notBefore: new Date(order.not_before),
      notAfter: new Date(order.not_after),
      orderId: order.id,
    };
    return issued;
  }

  return {
    async issue(request) {
      const validity = Math.min(config.validity_days * 86_400, request.maxTtlSeconds ?? Number.POSITIVE_INFINITY);
      const order = await call<VendorOrder>(
        'POST',
        '/v1/orders',
        {
          csr: request.csrPem,
          common_name: request.commonName,
          dns_names: request.sans.dns,
          validity_seconds: validity,
          request_id: request.requestId,
        },
        request.signal,
      );
      ctx.logger.info({ orderId: order.id, status: order.status }, 'order placed');
      const result = toResult(order);
      if (result.status === 'failed') {
        throw new VendorApiError({
          connector: CONNECTOR,
          status: 422,
          message: `order ${order.id} rejected: ${result.reason}`,
        });
      }
      return result;
    },

    async getOrder(orderId, options) {
      return toResult(
        await call<VendorOrder>('GET', `/v1/orders/${encodeURIComponent(orderId)}`, undefined, options?.signal),
      );
    },

    async revoke({ serial, reason, signal }) {
      await call('POST', `/v1/certificates/${serial}/revoke`, { reason }, signal);
    },

    async testConnection(options) {
      await call('GET', '/v1/ping', undefined, options?.signal);
      return { ok: true, detail: `${config.api_url} reachable, api_key accepted` };
    },
  };
}

export default defineIssuer({
  specificationVersion: 'v1',
  id: 'example',
  displayName: 'Example CA',
  version: VERSION,
  description: 'Issues certificates from the Example CA REST API.',
  configSchema: exampleConfig,
  env: {
    CERTCTL_EXAMPLE_API_URL: 'api_url',
    CERTCTL_EXAMPLE_API_KEY: 'api_key',
    CERTCTL_EXAMPLE_VALIDITY_DAYS: 'validity_days',
  },
  capabilities: { revoke: true, asyncOrders: true, testConnection: true },
  create: (config, ctx) => createExampleIssuer(config, ctx),
});
