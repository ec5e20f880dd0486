import { VendorApiError } from '@certctl/core';
import { createTestClock } from '@certctl/connector-testkit';
import { describe, expect, it } from 'vitest';
import { createAcmeRequest } from './acme-transport.js';

function scriptedFetch(steps: (() => Response | Promise<Response>)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const step = steps.shift();
    if (!step) throw new Error('unexpected request');
    return step();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('createAcmeRequest', () => {
  it('retries 429 and 5xx, honouring Retry-After, then returns the parsed JSON with lower-case headers', async () => {
    const clock = createTestClock();
    const slept: number[] = [];
    const sleepingClock = { now: () => clock.now(), sleep: async (ms: number) => void slept.push(ms) };
    const { fetch, calls } = scriptedFetch([
      () =>
        new Response('{"type":"urn:ietf:params:acme:error:rateLimited"}', {
          status: 429,
          headers: { 'Retry-After': '2' },
        }),
      () => new Response('oops', { status: 503 }),
      () =>
        new Response('{"status":"valid"}', {
          status: 200,
          headers: { 'Content-Type': 'application/json', 'Replay-Nonce': 'n1' },
        }),
    ]);
    const request = createAcmeRequest({ fetch, clock: sleepingClock, userAgent: 'ua', random: () => 0.5 });
    const response = await request('https://ca.example/order/1', 'post', {
      data: { protected: 'p', payload: '', signature: 's' },
    });
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json', 'replay-nonce': 'n1' },
      data: { status: 'valid' },
    });
    expect(calls).toHaveLength(3);
    expect(slept[0]).toBe(2000);
    expect(calls[0]!.init.method).toBe('POST');
    expect(new Headers(calls[0]!.init.headers).get('content-type')).toBe('application/jose+json');
    expect(calls[0]!.init.body).toBe('{"protected":"p","payload":"","signature":"s"}');
  });

  it('returns the last 5xx after the bounded attempts, for acme-client to report', async () => {
    const { fetch, calls } = scriptedFetch(
      Array.from(
        { length: 3 },
        () => () =>
          new Response('{"detail":"down"}', { status: 500, headers: { 'content-type': 'application/problem+json' } }),
      ),
    );
    const request = createAcmeRequest({ fetch, clock: createTestClock(), userAgent: 'ua', maxAttempts: 3 });
    const response = await request('https://ca.example/dir', 'get');
    expect(response.status).toBe(500);
    expect(response.data).toEqual({ detail: 'down' });
    expect(calls).toHaveLength(3);
  });

  it('does not repeat a POST after a network error (the nonce may be spent) and throws VendorApiError', async () => {
    const { fetch, calls } = scriptedFetch([
      () => {
        throw new TypeError('fetch failed');
      },
    ]);
    const request = createAcmeRequest({ fetch, clock: createTestClock(), userAgent: 'ua' });
    await expect(request('https://ca.example/new-order', 'post', { data: {} })).rejects.toThrow(VendorApiError);
    expect(calls).toHaveLength(1);
  });

  it('keeps non-JSON bodies (PEM chains) as text', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
    const { fetch } = scriptedFetch([
      () => new Response(pem, { status: 200, headers: { 'content-type': 'application/pem-certificate-chain' } }),
    ]);
    const request = createAcmeRequest({ fetch, clock: createTestClock(), userAgent: 'ua' });
    expect((await request('https://ca.example/cert/1', 'post', { data: {} })).data).toBe(pem);
  });
});
