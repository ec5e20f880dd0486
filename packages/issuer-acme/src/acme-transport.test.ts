import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import { VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAcmeRequest } from './acme-transport.js';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let steps: Step[] = [];
let calls: { method: string; url: string; contentType?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        method: req.method!,
        url: req.url!,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString(),
      });
      const step = steps.shift();
      if (step) step(req, res);
      else res.writeHead(500).end('unexpected request');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  steps = [];
  calls = [];
});

const answer =
  (status: number, body: string, headers: Record<string, string> = {}): Step =>
  (_req, res) =>
    res.writeHead(status, headers).end(body);

function transport(maxAttempts = 4) {
  const slept: number[] = [];
  const http = createHttpClient({
    connector: 'issuer-acme',
    timeoutMs: 5000,
    retries: { maxAttempts, baseDelayMs: 250, maxDelayMs: 5000, maxRetryAfterMs: 30_000 },
    ssrfPolicy: createSsrfPolicy({ allowLoopback: true }),
    userAgent: 'ua',
    clock: { now: () => new Date(), sleep: async (ms: number) => void slept.push(ms) },
    random: () => 0.5,
  });
  return { request: createAcmeRequest({ http }), slept, close: () => http.close() };
}

describe('createAcmeRequest', () => {
  it('retries 429 and 5xx, honouring Retry-After, then returns the parsed JSON with lower-case headers', async () => {
    steps.push(
      answer(429, '{"type":"urn:ietf:params:acme:error:rateLimited"}', { 'Retry-After': '2' }),
      answer(503, 'oops'),
      answer(200, '{"status":"valid"}', { 'Content-Type': 'application/json', 'Replay-Nonce': 'n1' }),
    );
    const { request, slept, close } = transport();
    const response = await request(`${base}/order/1`, 'post', {
      data: { protected: 'p', payload: '', signature: 's' },
    });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'replay-nonce': 'n1' });
    expect(response.data).toEqual({ status: 'valid' });
    expect(calls).toHaveLength(3);
    expect(slept[0]).toBe(2000);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      contentType: 'application/jose+json',
      body: '{"protected":"p","payload":"","signature":"s"}',
    });
    await close();
  });

  it('returns the last 5xx after the bounded attempts, for acme-client to report', async () => {
    for (let i = 0; i < 3; i++) {
      steps.push(answer(500, '{"detail":"down"}', { 'content-type': 'application/problem+json' }));
    }
    const { request, close } = transport(3);
    const response = await request(`${base}/dir`, 'get');
    expect(response.status).toBe(500);
    expect(response.data).toEqual({ detail: 'down' });
    expect(calls).toHaveLength(3);
    await close();
  });

  it('hands 4xx problem documents to acme-client at once (badNonce is its to retry)', async () => {
    steps.push(
      answer(400, '{"type":"urn:ietf:params:acme:error:badNonce"}', { 'content-type': 'application/problem+json' }),
    );
    const { request, close } = transport();
    const response = await request(`${base}/new-order`, 'post', { data: {} });
    expect(response).toMatchObject({ status: 400, data: { type: 'urn:ietf:params:acme:error:badNonce' } });
    expect(calls).toHaveLength(1);
    await close();
  });

  it('does not repeat a POST after a network error (the nonce may be spent) and throws VendorApiError', async () => {
    steps.push((req) => req.socket.destroy());
    const { request, close } = transport();
    await expect(request(`${base}/new-order`, 'post', { data: {} })).rejects.toSatisfy(VendorApiError.isInstance);
    expect(calls).toHaveLength(1);
    await close();
  });

  it('keeps non-JSON bodies (PEM chains) as text', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
    steps.push(answer(200, pem, { 'content-type': 'application/pem-certificate-chain' }));
    const { request, close } = transport();
    expect((await request(`${base}/cert/1`, 'post', { data: {} })).data).toBe(pem);
    await close();
  });
});
