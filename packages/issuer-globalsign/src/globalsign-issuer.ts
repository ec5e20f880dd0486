/**
 * GlobalSign Atlas HVCA as an issuer: `POST /certificates` answers with the serial, the certificate
 * appears once validation completes (`GET /certificates/{serial}` answers 202 until then). issue waits
 * a little with bounded polling and hands back a pending order after that; getOrder looks once.
 */
import { assertCertifiesCsrKey, checkedCsrKey, pollUntil } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  type ExistingCertificate,
  type IssuedCertificate,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  MalformedInputError,
  type OrderResult,
  VendorApiError,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { type AtlasClient, atlasDescription, createAtlasClient } from './atlas-client.js';
import { CONNECTOR } from './connector-name.js';
import type { GlobalSignIssuerConfig } from './globalsign-config.js';

export interface GlobalSignIssuer
  extends Required<
    Pick<IssuerInstance, 'getOrder' | 'revoke' | 'caChain' | 'listExisting' | 'testConnection' | 'start' | 'stop'>
  > {
  issue(request: IssueRequest): Promise<IssueResult>;
  renew(request: IssueRequest): Promise<IssueResult>;
}

const SERIAL = /^[0-9a-fA-F]{1,64}$/;
/** How soon to look again at a certificate still being validated, when Atlas gives no Retry-After. */
const PENDING_RETRY_SECONDS = 5;

type Lookup =
  | { state: 'pending'; retryAfterSeconds?: number }
  | { state: 'issued'; pem: string; status: string }
  | {
      state: 'failed';
      reason: string;
    };

/** Atlas' serial (upper-case hex in URLs) to the contract's form: lowercase, no leading zero bytes. */
export function contractSerial(serial: string): string {
  let hex = serial.toLowerCase();
  if (hex.length % 2) hex = `0${hex}`;
  return hex.replace(/^(00)+(?=..)/, '');
}

export function createGlobalSignIssuer(
  config: GlobalSignIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): GlobalSignIssuer {
  const client: AtlasClient = createAtlasClient(config, ctx, version);
  let trustChain: string[] | undefined;

  const chain = async (signal?: AbortSignal): Promise<string[]> => {
    if (trustChain) return trustChain;
    const response = await client.call(
      { method: 'GET', path: '/trustchain', signal },
      { what: 'read the Atlas trust chain', permission: 'Certificate Retrieval' },
    );
    const pems = response.json<unknown>();
    if (!Array.isArray(pems) || pems.length === 0 || !pems.every((p) => typeof p === 'string')) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'atlas-response',
        message: 'Atlas returned an empty or malformed trust chain',
      });
    }
    trustChain = [...new Set(pems.flatMap((p) => parseCertificateBundle(p).map((c) => c.pem)))];
    return trustChain;
  };

  const lookup = async (serial: string, signal?: AbortSignal): Promise<Lookup> => {
    if (!SERIAL.test(serial)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'order-id',
        message: `"${serial.slice(0, 64)}" is not an Atlas certificate serial number`,
      });
    }
    try {
      const response = await client.call(
        { method: 'GET', path: `/certificates/${serial.toUpperCase()}`, signal },
        { what: `retrieve Atlas certificate ${serial}`, permission: 'Certificate Retrieval' },
      );
      if (response.status === 202) {
        const retry = Number(response.headers['retry-after']);
        return { state: 'pending', ...(Number.isFinite(retry) && retry >= 0 ? { retryAfterSeconds: retry } : {}) };
      }
      const body = response.json<{ certificate?: unknown; status?: unknown }>();
      if (typeof body.certificate !== 'string') {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'atlas-response',
          message: `Atlas returned certificate ${serial} without its PEM`,
        });
      }
      return { state: 'issued', pem: body.certificate, status: String(body.status ?? 'ISSUED') };
    } catch (error) {
      // Atlas answers 422 for a certificate whose validation failed: the order is over, with its reason.
      if (VendorApiError.isInstance(error) && error.status === 422) {
        return { state: 'failed', reason: atlasDescription(error.body) ?? 'Atlas could not issue the certificate' };
      }
      throw error;
    }
  };

  const issued = async (
    serial: string,
    pem: string,
    signal: AbortSignal | undefined,
    csrSpki?: Uint8Array,
  ): Promise<IssuedCertificate> => {
    let leaf: ReturnType<typeof parseCertificateBundle>[number] | undefined;
    try {
      [leaf] = parseCertificateBundle(pem);
    } catch (cause) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: `Atlas certificate ${serial} does not parse`,
        cause,
      });
    }
    if (!leaf) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: `Atlas certificate ${serial} is empty`,
      });
    }
    if (csrSpki) {
      assertCertifiesCsrKey(leaf, csrSpki, {
        connector: CONNECTOR,
        message: `Atlas certificate ${serial} does not carry the CSR's public key`,
      });
    }
    if (leaf.serialNumber !== contractSerial(serial)) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `Atlas reported serial ${serial} but the certificate has ${leaf.serialNumber}`,
      });
    }
    return {
      status: 'issued',
      certificatePem: leaf.pem,
      chainPem: await chain(signal),
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      orderId: leaf.serialNumber,
    };
  };

  const issue = async (request: IssueRequest): Promise<IssueResult> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const now = Math.floor(ctx.clock.now().getTime() / 1000);
    const lifetime = Math.max(60, Math.floor(request.maxTtlSeconds ?? 365 * 86_400));
    const response = await client.call(
      {
        method: 'POST',
        path: '/certificates',
        body: {
          validity: { not_before: now, not_after: now + lifetime },
          subject_dn: { common_name: request.commonName },
          san: {
            ...(request.sans.dns.length ? { dns_names: request.sans.dns } : {}),
            ...(request.sans.ip.length ? { ip_addresses: request.sans.ip } : {}),
            ...(request.sans.email.length ? { emails: request.sans.email } : {}),
            ...(request.sans.uri.length ? { uris: request.sans.uri } : {}),
          },
          csr: request.csrPem,
        },
        signal: request.signal,
        idempotent: false,
      },
      { what: `request a certificate for ${request.commonName} from Atlas`, permission: 'Certificate Issuance' },
    );
    const location = response.headers.location ?? '';
    const serial = decodeURIComponent(location.replace(/\/+$/, '').split('/').pop() ?? '');
    if (!SERIAL.test(serial)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'atlas-response',
        message: 'Atlas accepted the request but sent no certificate location',
      });
    }
    ctx.metrics.increment('globalsign_requests_total', {});
    if (config.issue_wait_seconds === 0) {
      return { status: 'pending', orderId: contractSerial(serial), retryAfterSeconds: PENDING_RETRY_SECONDS };
    }
    try {
      const done = await pollUntil<Lookup & { state: 'issued' | 'failed' }>({
        description: `Atlas certificate ${serial}`,
        connector: CONNECTOR,
        schedule: [1000, 2000, 5000],
        maxWaitMs: config.issue_wait_seconds * 1000,
        clock: ctx.clock,
        signal: request.signal,
        logger: ctx.logger,
        check: async () => {
          const found = await lookup(serial, request.signal);
          return found.state === 'pending'
            ? {
                done: false,
                ...(found.retryAfterSeconds !== undefined ? { retryAfterSeconds: found.retryAfterSeconds } : {}),
              }
            : { done: true, value: found };
        },
      });
      if (done.state === 'failed') {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `Atlas refused certificate ${serial}: ${done.reason}`,
        });
      }
      return await issued(serial, done.pem, request.signal, spki);
    } catch (error) {
      if (!DeadlineExceededError.isInstance(error) || request.signal?.aborted) throw error;
      return {
        status: 'pending',
        orderId: contractSerial(serial),
        retryAfterSeconds: PENDING_RETRY_SECONDS,
        detail: 'Atlas is still validating the request',
      };
    }
  };

  return {
    async start() {
      try {
        await client.login(ctx.signal);
      } catch (error) {
        // The runtime creates a fresh instance on its next try: this one's connections must not linger.
        await client.close();
        throw error;
      }
    },
    async stop() {
      await client.close();
    },
    issue,
    renew: issue,
    async getOrder(orderId, options): Promise<OrderResult> {
      const found = await lookup(orderId, options?.signal);
      if (found.state === 'pending') {
        return {
          status: 'pending',
          orderId,
          retryAfterSeconds: found.retryAfterSeconds ?? PENDING_RETRY_SECONDS,
          detail: 'Atlas is still validating the request',
        };
      }
      if (found.state === 'failed') return { status: 'failed', orderId, reason: found.reason };
      return issued(orderId, found.pem, options?.signal);
    },
    async revoke(request) {
      if (!SERIAL.test(request.serial)) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'serial',
          message: 'not a hex serial number',
        });
      }
      try {
        await client.call(
          { method: 'DELETE', path: `/certificates/${request.serial.toUpperCase()}`, signal: request.signal },
          { what: `revoke Atlas certificate ${request.serial}`, permission: 'Certificate Revocation' },
        );
      } catch (error) {
        // Already revoked is what was asked for.
        if (!(VendorApiError.isInstance(error) && error.status === 409)) throw error;
      }
      ctx.logger.info(
        { serial: request.serial, reason: request.reason },
        'Atlas revoked the certificate (the API records no reason code)',
      );
    },
    caChain: (options) => chain(options?.signal),
    async *listExisting(options): AsyncIterable<ExistingCertificate> {
      const perPage = 100;
      const to = Math.floor(ctx.clock.now().getTime() / 1000) + 86_400;
      for (let page = 1; page < 100_000; page++) {
        const response = await client.call(
          {
            method: 'GET',
            path: `/stats/issued?page=${page}&per_page=${perPage}&from=0&to=${to}`,
            signal: options?.signal,
          },
          { what: 'list the certificates Atlas issued', permission: 'Statistics' },
        );
        const items = response.json<{ serial_number?: string }[]>();
        const total = Number(response.headers['total-count'] ?? '0');
        for (const item of Array.isArray(items) ? items : []) {
          if (!item.serial_number || !SERIAL.test(item.serial_number)) continue;
          const found = await lookup(item.serial_number, options?.signal);
          if (found.state !== 'issued') continue;
          const certificate = await issued(item.serial_number, found.pem, options?.signal);
          yield {
            certificatePem: certificate.certificatePem,
            chainPem: certificate.chainPem,
            orderId: certificate.serial,
            metadata: { globalsign_serial: certificate.serial, globalsign_status: found.status },
          };
        }
        if (!Array.isArray(items) || items.length < perPage || page * perPage >= total) break;
      }
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      await client.login(options?.signal);
      const response = await client.call(
        { method: 'GET', path: '/validationpolicy', signal: options?.signal },
        { what: 'read the Atlas validation policy', permission: 'Certificate Retrieval' },
      );
      const policy = response.json<{ validity?: { secondsmax?: number } }>();
      const maxDays = policy.validity?.secondsmax ? Math.floor(policy.validity.secondsmax / 86_400) : undefined;
      return {
        ok: true,
        detail: `logged in to ${client.baseUrl} with the API key and client certificate; validation policy read${maxDays ? ` (validity up to ${maxDays} days)` : ''}`,
      };
    },
  };
}
