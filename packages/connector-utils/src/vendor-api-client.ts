import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { ConfigValidationError } from '@certctl/core';
import { createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.js';

export interface VendorApiClientOptions
  extends Omit<HttpClientOptions, 'ssrfPolicy' | 'dispatcher' | 'ca' | 'context'> {
  /** The connector's context: its `network` (the app's policy) alone decides where the client may connect. */
  context: NonNullable<HttpClientOptions['context']>;
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
 * The house HTTP client for a commercial CA's API, opened on first use. Where it may connect is the
 * app's network policy (`ctx.network`) and nothing in the config: an operator who points the API at a
 * private proxy or mirror allows that address in the app (the server's `CERTCTL_NETWORK_ALLOW`). A CA
 * bundle's CAs are trusted beside the system store and the app's CAs.
 */
export function createVendorApiClient(options: VendorApiClientOptions): VendorApiClient {
  const { caBundlePath, caBundleKey = 'ca_bundle_path', ...http } = options;
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
      client = createHttpClient({
        ...http,
        ...(ca && { ca: [...rootCertificates, ...(http.context.network.ca ?? []), ca] }),
      });
      return client;
    },
    async close() {
      await client?.close();
    },
  };
}
