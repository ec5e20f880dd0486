/**
 * One acme-client Client per operation, wired to our transport and the operation's deadline.
 * acme-client is loaded lazily so that installing the connector costs nothing until it is used.
 */
import type { Client } from 'acme-client';
import type { HttpClient } from '@certctl/connector-utils';
import { type AcmeProblem, isAcmeProblem } from './acme-errors.js';
import { type AcmeHttpResponse, type AcmeRequestFunction, createAcmeRequest } from './acme-transport.js';

/** The parts of acme-client's HttpClient we use; it is internal to the library, hence this narrow view. */
export interface AcmeHttpInternals {
  request: AcmeRequestFunction;
  getDirectory(): Promise<AcmeDirectory>;
}

export interface AcmeDirectory {
  newNonce?: string;
  newAccount?: string;
  newOrder?: string;
  revokeCert?: string;
  /** RFC 9773. */
  renewalInfo?: string;
  meta?: {
    termsOfService?: string;
    externalAccountRequired?: boolean;
    /** draft-ietf-acme-profiles: profile name → description. */
    profiles?: Record<string, string>;
  };
}

export interface AcmeSession {
  client: Client;
  http: AcmeHttpInternals;
  /** An unauthenticated GET through the same transport (renewalInfo). */
  get(url: string): Promise<AcmeHttpResponse>;
  /** The last RFC 7807 problem the CA answered: acme-client keeps only its detail, we need its type. */
  lastProblem(): AcmeProblem | undefined;
}

export interface SessionOptions {
  directoryUrl: string;
  accountKeyPem: string;
  accountUrl?: string;
  eab?: { kid: string; hmacKey: string };
  /** The connector's HTTP client for this CA. */
  http: HttpClient;
  signal: AbortSignal;
  /** acme-client's polling backoff for authorizations and orders, in ms. */
  backoff: { min: number; max: number; attempts: number };
}

export async function openAcmeSession(options: SessionOptions): Promise<AcmeSession> {
  const acme = (await import('acme-client')).default;
  const client = new acme.Client({
    directoryUrl: options.directoryUrl,
    accountKey: options.accountKeyPem,
    accountUrl: options.accountUrl,
    externalAccountBinding: options.eab,
    backoffMin: options.backoff.min,
    backoffMax: options.backoff.max,
    backoffAttempts: options.backoff.attempts,
  });
  const request = createAcmeRequest({ http: options.http, signal: options.signal });
  let lastProblem: AcmeProblem | undefined;
  const recording: AcmeRequestFunction = async (url, method, requestOptions) => {
    const response = await request(url, method, requestOptions);
    if (response.status >= 400 && isAcmeProblem(response.data)) lastProblem = response.data;
    return response;
  };
  const http = (client as unknown as { http: AcmeHttpInternals }).http;
  http.request = recording;
  return { client, http, get: (url) => recording(url, 'get'), lastProblem: () => lastProblem };
}
