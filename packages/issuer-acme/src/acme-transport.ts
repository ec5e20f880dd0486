/**
 * The HTTP layer under acme-client. acme-client sends every request through one process-wide axios
 * instance, which would bypass our HTTP client (deadlines, SSRF policy, the CA bundle we trust) and
 * share settings between issuers. Rather than fork the library we replace the `request` method of
 * each client's own HttpClient with this axios-shaped adapter over connector-utils' client:
 * acme-client keeps doing JWS, nonces and badNonce retries; the client does transport, deadlines and
 * bounded retries of 429/5xx with Retry-After.
 */
import type { HttpClient } from '@certctl/connector-utils';
import { VendorApiError } from '@certctl/core';

/** The response shape acme-client reads (axios-like): lower-case headers, parsed JSON or text. */
export interface AcmeHttpResponse {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}

export type AcmeRequestFunction = (
  url: string,
  method: string,
  options?: { data?: unknown; headers?: Record<string, string> },
) => Promise<AcmeHttpResponse>;

export interface AcmeTransportOptions {
  /** The connector's client for this CA (its trust, SSRF policy, deadlines and retries of 429/5xx with Retry-After). */
  http: HttpClient;
  /** Aborts every request of this operation (the operation's deadline). */
  signal?: AbortSignal;
}

/** Statuses acme-client reads itself (problem documents, badNonce); 429 and 5xx are retried first. */
const answerForAcmeClient = (status: number) => status !== 429 && status < 500;

function parseBody(text: string, contentType: string): unknown {
  if (/\bjson\b/i.test(contentType) && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function createAcmeRequest(options: AcmeTransportOptions): AcmeRequestFunction {
  return async (url, method, requestOptions = {}) => {
    const verb = method.toUpperCase();
    const hasBody = requestOptions.data !== undefined && verb !== 'GET' && verb !== 'HEAD';
    try {
      const response = await options.http.request({
        method: verb,
        url,
        headers: hasBody ? { 'content-type': 'application/jose+json' } : {},
        body: hasBody ? JSON.stringify(requestOptions.data) : undefined,
        signal: options.signal,
        acceptStatus: answerForAcmeClient,
        // A replayed JWS is refused (its nonce is spent), so repeating a refused POST is safe; after a
        // network error it is not repeated: acme-client signs a fresh one.
        retryStatuses: true,
      });
      return {
        status: response.status,
        headers: response.headers,
        data: parseBody(verb === 'HEAD' ? '' : response.text(), response.headers['content-type'] ?? ''),
      };
    } catch (error) {
      // After the bounded attempts acme-client reports the CA's last answer (its problem document) itself.
      if (VendorApiError.isInstance(error) && error.status !== undefined) {
        return {
          status: error.status,
          headers: error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) },
          data: parseBody(error.body ?? '', 'application/json'),
        };
      }
      throw error;
    }
  };
}
