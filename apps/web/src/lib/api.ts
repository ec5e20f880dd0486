import type { components, paths } from '@certctl/client';
import createClient, { type Client } from 'openapi-fetch';

/** The API's entity types, from the OpenAPI document `@certctl/client` is generated from. */
export type Schemas = components['schemas'];
export type Certificate = Schemas['Certificate'];
export type CertificateStatus = Schemas['CertificateStatus'];
export type Job = Schemas['Job'];
export type Agent = Schemas['Agent'];
export type Issuer = Schemas['Issuer'];
export type Approval = Schemas['Approval'];
export type AuditEvent = Schemas['AuditEvent'];
export type DiscoveredCertificate = Schemas['DiscoveredCertificate'];
export type Notification = Schemas['Notification'];
export type Target = Schemas['Target'];
export type Profile = Schemas['Profile'];
export type RenewalPolicy = Schemas['RenewalPolicy'];
export type CertificateVersion = Schemas['CertificateVersion'];

export type Api = Client<paths>;

/** An error answer of the API: its status and the envelope's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A typed client of the API on this origin, sending the key (held in memory only) on every call. */
export function createApi(apiKey: string, onUnauthorized: () => void): Api {
  const api = createClient<paths>({ baseUrl: window.location.origin });
  api.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${apiKey}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  });
  return api;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError with the envelope's message (what the pages show). */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    const envelope = (error ?? {}) as { error?: string; message?: string };
    throw new ApiError(
      response.status,
      envelope.error ?? 'error',
      envelope.message ?? `${response.status} ${response.statusText || 'request failed'}`,
    );
  }
  return data as T;
}

/** A readable message for any error a query or mutation raised. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
