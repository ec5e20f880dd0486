import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { ConfigValidationError } from '@certctl/core';
import { createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.js';
import { createSsrfAgent } from './ssrf-agent.js';
import { createSsrfPolicy } from './ssrf-policy.js';

export interface VendorApiClientOptions extends Omit<HttpClientOptions, 'ssrfPolicy' | 'dispatcher' | 'ca'> {
  /** The vendor API's base URL: with a CA bundle, its host may be a private address. */
  apiUrl: string;
  /** PEM file of extra CAs trusted beside the system store (the operator's proxy or mirror). */
  caBundlePath?: string;
  /** The config key of `caBundlePath`, named when the file cannot be read; default `ca_bundle_path`. */
  caBundleKey?: string;
}

export interface VendorApiClient {
  /** The HTTP client, opened (and the CA bundle read) on first use. */
  open(): Promise<HttpClient>;
  close(): Promise<void>;
}

/**
 * The house HTTP client for a commercial CA's API, opened on first use. With a CA bundle the
 * operator points at a proxy or mirror they run: that one host may be private, every other address
 * keeps the strict policy, and the bundle's CAs are trusted beside the system store.
 */
export function createVendorApiClient(options: VendorApiClientOptions): VendorApiClient {
  const { apiUrl, caBundlePath, caBundleKey = 'ca_bundle_path', ...http } = options;
  let client: HttpClient | undefined;
  return {
    async open() {
      if (client) return client;
      let ca: string | undefined;
      if (caBundlePath) {
        try {
          ca = await readFile(caBundlePath, 'utf8');
        } catch (cause) {
          throw new ConfigValidationError({
            connector: http.connector,
            issues: [
              {
                path: caBundleKey,
                message: `cannot read ${caBundlePath} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
              },
            ],
          });
        }
      }
      const ssrfPolicy = createSsrfPolicy({
        connector: http.connector,
        ...(ca && { allow: [new URL(apiUrl).hostname] }),
      });
      client = createHttpClient({
        ...http,
        ssrfPolicy,
        dispatcher: createSsrfAgent(ssrfPolicy, { connect: ca ? { ca: [...rootCertificates, ca] } : {} }),
      });
      return client;
    },
    async close() {
      await client?.close();
    },
  };
}
