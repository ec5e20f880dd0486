/**
 * OAuth2 access tokens for the CAS API. With a service account key file: a JWT-bearer assertion
 * (RFC 7523) signed with the key, exchanged at the token endpoint through the house HTTP client and
 * cached until five minutes before it expires. Without one: the ambient Google credentials (ADC:
 * GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server), through google-auth-library, loaded lazily.
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpClient } from '@certctl/connector-utils';
import { AuthenticationError, type Clock, ConfigValidationError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const REFRESH_BEFORE_MS = 5 * 60_000;

export interface TokenSource {
  /** A live access token. */
  token(signal?: AbortSignal): Promise<string>;
  /** Who the tokens speak for, for messages: the service account's email, or `ambient credentials`. */
  readonly principal: string;
}

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** Reads and checks a service account key file; its content never appears in an error. */
export function readServiceAccountKey(path: string): ServiceAccountKey {
  const issue = (message: string, cause?: unknown) =>
    new ConfigValidationError({ connector: CONNECTOR, issues: [{ path: 'credentials', message }], cause });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw issue(`cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, cause);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw issue(`${path} is not JSON; download a service account key (JSON) from IAM`);
  }
  if (
    parsed.type !== 'service_account' ||
    typeof parsed.client_email !== 'string' ||
    typeof parsed.private_key !== 'string'
  ) {
    throw issue(`${path} is not a service account key (type "service_account" with client_email and private_key)`);
  }
  return {
    client_email: parsed.client_email,
    private_key: parsed.private_key,
    ...(typeof parsed.private_key_id === 'string' ? { private_key_id: parsed.private_key_id } : {}),
    ...(typeof parsed.token_uri === 'string' ? { token_uri: parsed.token_uri } : {}),
  };
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function createServiceAccountTokenSource(options: {
  key: ServiceAccountKey;
  tokenUrl?: string;
  http: HttpClient;
  clock: Clock;
}): TokenSource {
  const { key, http, clock } = options;
  const tokenUrl = options.tokenUrl ?? key.token_uri ?? DEFAULT_TOKEN_URL;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const exchange = async (signal?: AbortSignal): Promise<string> => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const header = base64url(
      JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) }),
    );
    const claims = base64url(
      JSON.stringify({ iss: key.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: tokenUrl, iat: now, exp: now + 3600 }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key);
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await http.request({
        method: 'POST',
        url: tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: `${header}.${claims}.${base64url(signature)}`,
        }).toString(),
        // Another assertion for the same key is harmless: the exchange may be repeated.
        idempotent: true,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (VendorApiError.isInstance(error) && error.status !== undefined && error.status >= 400 && error.status < 500) {
        let said = `HTTP ${error.status}`;
        try {
          const body = JSON.parse(error.body ?? '') as { error?: string; error_description?: string };
          said = [body.error, body.error_description].filter(Boolean).join(': ') || said;
        } catch {
          // not JSON
        }
        throw new AuthenticationError({
          connector: CONNECTOR,
          message: `Google refused the service account key of ${key.client_email} (${said}); the key may be deleted or disabled: create a new key for the service account and update credentials`,
          cause: error,
        });
      }
      throw error;
    }
    const body = response.json<{ access_token?: string; expires_in?: number }>();
    if (typeof body.access_token !== 'string') {
      throw new AuthenticationError({
        connector: CONNECTOR,
        message: `the token endpoint ${tokenUrl} returned no access_token`,
      });
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    cached = {
      token: body.access_token,
      refreshAt: clock.now().getTime() + Math.max(0, lifetimeMs - REFRESH_BEFORE_MS),
    };
    return body.access_token;
  };

  return {
    principal: key.client_email,
    async token(signal) {
      if (cached && clock.now().getTime() < cached.refreshAt) return cached.token;
      inFlight ??= exchange(signal).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

/** Ambient credentials through google-auth-library's GoogleAuth (which caches and refreshes tokens itself). */
export function createAmbientTokenSource(): TokenSource {
  let auth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;
  return {
    principal: 'ambient Google credentials',
    async token() {
      auth ??= import('google-auth-library').then(
        ({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }),
      );
      let token: string | null | undefined;
      try {
        token = await (await auth).getAccessToken();
      } catch (cause) {
        throw new AuthenticationError({
          connector: CONNECTOR,
          message: `no ambient Google credentials (${(cause as Error).message.split('\n')[0]}); set credentials to a service account key file, set GOOGLE_APPLICATION_CREDENTIALS, or run certctl with a service account attached (GKE Workload Identity, GCE)`,
          cause,
        });
      }
      if (!token)
        throw new AuthenticationError({
          connector: CONNECTOR,
          message: 'the ambient Google credentials produced no access token',
        });
      return token;
    },
  };
}
