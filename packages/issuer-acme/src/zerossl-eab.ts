/**
 * ZeroSSL hands out External Account Binding credentials for an email address through a public
 * endpoint, so an operator who only sets the directory URL and an email gets an account without a
 * dashboard visit (what Caddy and acme.sh do). Documented at
 * https://zerossl.com/documentation/acme/generate-eab-credentials/.
 */
import type { HttpClient } from '@certctl/connector-utils';
import { AuthenticationError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export const ZEROSSL_EAB_ENDPOINT = 'https://api.zerossl.com/acme/eab-credentials-email';
const ZEROSSL_DIRECTORY_HOSTS = new Set(['acme.zerossl.com']);

export function isZeroSslDirectory(
  directoryUrl: string,
  hosts: ReadonlySet<string> = ZEROSSL_DIRECTORY_HOSTS,
): boolean {
  return hosts.has(new URL(directoryUrl).hostname.toLowerCase());
}

export interface EabCredentials {
  kid: string;
  hmacKey: string;
}

export async function fetchZeroSslEab(
  http: HttpClient,
  email: string,
  options: { endpoint?: string; signal?: AbortSignal } = {},
): Promise<EabCredentials> {
  const endpoint = options.endpoint ?? ZEROSSL_EAB_ENDPOINT;
  const response = await http.request({
    method: 'POST',
    url: endpoint,
    label: 'ZeroSSL EAB lookup',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email }).toString(),
    signal: options.signal,
    // Every answer is read below: a refusal means the email has no ZeroSSL account.
    acceptStatus: () => true,
  });
  const text = response.text();
  let body: { success?: boolean; eab_kid?: unknown; eab_hmac_key?: unknown; error?: { type?: string } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (
    response.status < 200 ||
    response.status > 299 ||
    !body ||
    body.success !== true ||
    typeof body.eab_kid !== 'string' ||
    typeof body.eab_hmac_key !== 'string'
  ) {
    const reason = body?.error?.type ?? `HTTP ${response.status}`;
    if ((response.status >= 200 && response.status <= 299) || response.status === 401 || response.status === 403) {
      throw new AuthenticationError({
        connector: CONNECTOR,
        message: `ZeroSSL did not issue EAB credentials for the configured email (${reason}); set eab_kid and eab_hmac from the ZeroSSL dashboard`,
      });
    }
    throw new VendorApiError({
      connector: CONNECTOR,
      status: response.status,
      body: text,
      message: `ZeroSSL EAB lookup failed (${reason})`,
    });
  }
  return { kid: body.eab_kid, hmacKey: body.eab_hmac_key };
}
