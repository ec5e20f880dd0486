/**
 * The Google CAS client library on its REST transport (`fallback: true`), imported on first use.
 * Its auth client is ours: it attaches the access token and sends every request through the house
 * HTTP client (deadlines, retries, SSRF policy); the library keeps the API surface, request
 * encoding and error decoding. No library type leaves this file.
 */
import { createHttpClient, type HttpClient } from '@certctl/connector-utils';
import { type ConnectorContext, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { type CasMethod, casError } from './cas-errors.js';
import { CONNECTOR } from './connector-name.js';
import {
  createAmbientTokenSource,
  createServiceAccountTokenSource,
  readServiceAccountKey,
  type TokenSource,
} from './google-token-source.js';
import type { GoogleCasIssuerConfig } from './googlecas-config.js';

/** The fields of google.cloud.security.privateca.v1.Certificate certctl reads. */
export interface CasCertificate {
  name?: string | null;
  pemCertificate?: string | null;
  pemCertificateChain?: string[] | null;
}

export interface CasCalls {
  createCertificate(request: {
    parent: string;
    certificateId: string;
    requestId: string;
    issuingCertificateAuthorityId?: string;
    certificate: { pemCsr: string; lifetime: { seconds: number }; certificateTemplate?: string };
  }): Promise<CasCertificate>;
  getCertificate(request: { name: string }): Promise<CasCertificate>;
  listCertificates(request: { parent: string; filter: string }): Promise<CasCertificate[]>;
  revokeCertificate(request: { name: string; reason: string; requestId: string }): Promise<CasCertificate>;
  fetchCaCerts(request: {
    caPool: string;
    requestId: string;
  }): Promise<{ caCerts?: { certificates?: string[] | null }[] | null }>;
  getCertificateAuthority(request: { name: string }): Promise<{ pemCaCertificates?: string[] | null; state?: unknown }>;
  getCaPool(request: { name: string }): Promise<{ name?: string | null; tier?: unknown }>;
}

export interface CasClient {
  /** Runs one method; errors become typed errors naming the IAM permission when one is missing. */
  call<T>(method: CasMethod, resource: string, run: (calls: CasCalls) => Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly principal: string;
  close(): Promise<void>;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function createCasClient(config: GoogleCasIssuerConfig, ctx: ConnectorContext, version: string): CasClient {
  // Where it may connect is the app's policy alone: a Private Service Connect endpoint is allowed by
  // the operator in the app (CERTCTL_NETWORK_ALLOW), not by naming it in the config.
  const http: HttpClient = createHttpClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    userAgent: `certctl-issuer-googlecas/${version}`,
    context: ctx,
  });
  const tokens: TokenSource = config.credentials
    ? createServiceAccountTokenSource({
        key: readServiceAccountKey(config.credentials),
        ...(config.token_url ? { tokenUrl: config.token_url } : {}),
        http,
        clock: ctx.clock,
      })
    : createAmbientTokenSource();

  /** What the library's REST transport calls: `fetch(url, init)` with our token, answered as a WHATWG Response. */
  const authClient = {
    universeDomain: 'googleapis.com',
    async getRequestHeaders() {
      return new Headers({ authorization: `Bearer ${await tokens.token()}` });
    },
    async fetch(
      url: string,
      init: { method?: string; headers?: HeadersInit; body?: string | Uint8Array; signal?: AbortSignal },
    ) {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      headers.authorization = `Bearer ${await tokens.token(init.signal)}`;
      const method = (init.method ?? 'GET').toUpperCase();
      try {
        const response = await http.request({
          method,
          url,
          headers,
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal: init.signal ?? ctx.signal,
        });
        return new Response(NULL_BODY_STATUSES.has(response.status) ? null : Buffer.from(response.body), {
          status: response.status,
          headers: response.headers,
        });
      } catch (error) {
        // The library decodes Google's error body into a GoogleError (code, message, ErrorInfo).
        if (VendorApiError.isInstance(error) && error.status !== undefined) {
          return new Response(error.body ?? '', {
            status: error.status,
            headers: { 'content-type': 'application/json' },
          });
        }
        throw error;
      }
    },
  };

  type Sdk = typeof import('@google-cloud/security-private-ca');
  let loaded: Promise<InstanceType<Sdk['CertificateAuthorityServiceClient']>> | undefined;
  const load = () => {
    loaded ??= import('@google-cloud/security-private-ca').then(({ CertificateAuthorityServiceClient }) => {
      const endpoint = new URL(config.base_url ?? 'https://privateca.googleapis.com');
      const protocol = endpoint.protocol.replace(':', '');
      return new CertificateAuthorityServiceClient({
        fallback: true,
        protocol,
        apiEndpoint: endpoint.hostname.replace(/^\[|\]$/g, ''),
        port: Number(endpoint.port || (protocol === 'http' ? 80 : 443)),
        authClient: authClient as never,
      } as never);
    });
    return loaded;
  };

  const callsOf = (client: Awaited<ReturnType<typeof load>>): CasCalls => ({
    createCertificate: async (request) => (await client.createCertificate(request))[0] as CasCertificate,
    getCertificate: async (request) => (await client.getCertificate(request))[0] as CasCertificate,
    listCertificates: async (request) =>
      (await client.listCertificates(request, { autoPaginate: true }))[0] as CasCertificate[],
    revokeCertificate: async (request) =>
      (await client.revokeCertificate(request as Parameters<typeof client.revokeCertificate>[0]))[0] as CasCertificate,
    fetchCaCerts: async (request) => (await client.fetchCaCerts(request))[0] as never,
    getCertificateAuthority: async (request) => (await client.getCertificateAuthority(request))[0] as never,
    getCaPool: async (request) => (await client.getCaPool(request))[0] as never,
  });

  return {
    principal: tokens.principal,
    async call(method, resource, run, signal) {
      const client = await load();
      const work = run(callsOf(client));
      try {
        if (!signal) return await work;
        return await new Promise((resolve, reject) => {
          const abort = () =>
            reject(
              new DeadlineExceededError({
                connector: CONNECTOR,
                message: `${method} was aborted`,
                cause: signal.reason,
              }),
            );
          if (signal.aborted) abort();
          signal.addEventListener('abort', abort, { once: true });
          work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
        });
      } catch (error) {
        throw casError(error, method, resource, tokens.principal);
      }
    },
    async close() {
      const client = await loaded?.catch(() => undefined);
      await client?.close();
      await http.close();
    },
  };
}
