import {
  AuthenticationError,
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
  async function call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(config.request_timeout_seconds * 1000);
    let response: Response;
    try {
      response = await ctx.fetch(new URL(path, config.api_url), {
        method,
        headers: { authorization: `Bearer ${config.api_key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
    } catch (error) {
      // Network failures are retryable VendorApiErrors (no status).
      throw new VendorApiError({
        connector: CONNECTOR,
        message: `${method} ${path} did not reach the CA`,
        cause: error,
      });
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new AuthenticationError({
        connector: CONNECTOR,
        message: `${method} ${path} refused (${response.status}): check api_key`,
      });
    }
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new VendorApiError({
        connector: CONNECTOR,
        status: response.status,
        body: text,
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
        message: `${method} ${path} failed (${response.status})`,
      });
    }
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
