import { readFile } from 'node:fs/promises';
import { createHttpClient, createSsrfAgent, createSsrfPolicy, type HttpClient } from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, ConnectorError, VendorApiError } from '@certctl/core';
import type { F5TargetConfig } from './f5-config.js';

export const CONNECTOR = 'target-f5';

const UPLOAD_CHUNK = 512 * 1024;
export const DOWNLOADS = '/var/config/rest/downloads';

/** `/Common/name` as iControl REST writes it in a URL: `~Common~name`. */
export const urlName = (fullPath: string) => encodeURIComponent(fullPath.replace(/\//g, '~'));

export interface CertKeyChainEntry {
  name: string;
  cert: string;
  key: string;
  chain?: string;
}

/** What BIG-IP says in an error body (`{code, message}`), for messages. */
export function bigIpMessage(error: unknown): string | undefined {
  if (!VendorApiError.isInstance(error) || !error.body) return undefined;
  try {
    const parsed = JSON.parse(error.body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** A logged-in iControl REST session: every request carries X-F5-Auth-Token. */
export interface IControlSession {
  get<T>(path: string): Promise<T | undefined>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, transId?: number): Promise<T>;
  upload(name: string, content: Buffer): Promise<string>;
  logout(): Promise<void>;
}

/**
 * The management interface through connector-utils' HTTP client: the configured CA is the only trust
 * anchor (or, with `insecure`, none is checked), and the SSRF policy allows exactly the configured host.
 */
export function createIControl(config: F5TargetConfig, ctx: ConnectorContext, version: string) {
  const base = `https://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  let client: Promise<HttpClient> | undefined;
  const http = () => {
    client ??= (async () => {
      let connect: { ca: string[] } | { rejectUnauthorized: false };
      if (config.insecure) connect = { rejectUnauthorized: false };
      else {
        const ca = await readFile(config.ca_cert_path!, 'utf8').catch((error: NodeJS.ErrnoException) => {
          client = undefined;
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `cannot read ca_cert_path ${config.ca_cert_path} (${error.code ?? error.message})`,
            retryable: false,
          });
        });
        connect = { ca: [ca] };
      }
      // The operator named this host, so it may be private; nothing else is reachable.
      const ssrfPolicy = createSsrfPolicy({ connector: CONNECTOR, allow: [config.host] });
      return createHttpClient({
        connector: CONNECTOR,
        timeoutMs: config.timeout * 1000,
        retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
        ssrfPolicy,
        dispatcher: createSsrfAgent(ssrfPolicy, { connect }),
        userAgent: `certctl-target-f5/${version}`,
        clock: ctx.clock,
        logger: ctx.logger,
      });
    })();
    return client;
  };

  return {
    base,
    async login(signal?: AbortSignal): Promise<IControlSession> {
      const httpClient = await http();
      let token: string;
      try {
        const response = await httpClient.request({
          method: 'POST',
          url: `${base}/mgmt/shared/authn/login`,
          body: { username: config.username, password: config.password, loginProviderName: 'tmos' },
          signal,
          idempotent: true,
        });
        const answer = response.json() as { token?: { token?: unknown } };
        if (typeof answer.token?.token !== 'string') {
          throw new ConnectorError({ connector: CONNECTOR, message: `${base} answered the login without a token` });
        }
        token = answer.token.token;
      } catch (error) {
        if (VendorApiError.isInstance(error) && error.status === 401) {
          throw new AuthenticationError({
            connector: CONNECTOR,
            message: `${base} refused the login of ${config.username} (401 ${bigIpMessage(error) ?? ''}): check username and password`,
          });
        }
        throw error;
      }
      const headers = { 'x-f5-auth-token': token };
      const wrap = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          if (VendorApiError.isInstance(error) && error.status === 401) {
            throw new AuthenticationError({
              connector: CONNECTOR,
              message: `${what}: ${base} refused the session token (401 ${bigIpMessage(error) ?? ''})`,
            });
          }
          throw error;
        }
      };
      return {
        async get<T>(path: string) {
          return wrap(`GET ${path}`, async () => {
            try {
              const response = await httpClient.request({ method: 'GET', url: `${base}${path}`, headers, signal });
              return response.json() as T;
            } catch (error) {
              if (VendorApiError.isInstance(error) && error.status === 404) return undefined;
              throw error;
            }
          });
        },
        async send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, transId?: number) {
          return wrap(`${method} ${path}`, async () => {
            const response = await httpClient.request({
              method,
              url: `${base}${path}`,
              headers: transId === undefined ? headers : { ...headers, 'x-f5-rest-coordination-id': String(transId) },
              body,
              signal,
              // Queuing into a transaction changes nothing until the commit; a commit is never repeated.
              idempotent: transId !== undefined,
            });
            return (response.body.length > 0 ? response.json() : {}) as T;
          });
        },
        async upload(name, content) {
          return wrap(`upload ${name}`, async () => {
            for (let start = 0; start < content.length || start === 0; start += UPLOAD_CHUNK) {
              const chunk = content.subarray(start, Math.min(content.length, start + UPLOAD_CHUNK));
              await httpClient.request({
                method: 'POST',
                url: `${base}/mgmt/shared/file-transfer/uploads/${encodeURIComponent(name)}`,
                headers: {
                  ...headers,
                  'content-type': 'application/octet-stream',
                  'content-range': `${start}-${start + chunk.length - 1}/${content.length}`,
                },
                body: new Uint8Array(chunk),
                signal,
                idempotent: true,
              });
              if (content.length === 0) break;
            }
            return `${DOWNLOADS}/${name}`;
          });
        },
        async logout() {
          await httpClient
            .request({
              method: 'DELETE',
              url: `${base}/mgmt/shared/authz/tokens/${encodeURIComponent(token)}`,
              headers,
            })
            .catch((error: Error) => ctx.logger.debug({ error: error.message }, 'BIG-IP logout failed'));
        },
      };
    },
  };
}
