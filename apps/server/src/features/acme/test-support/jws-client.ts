import type { FastifyInstance } from 'fastify';
import { exportJWK, FlattenedSign, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface TestAccountKey {
  alg: 'ES256' | 'RS256' | 'EdDSA' | 'ES384';
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newAccountKey(alg: TestAccountKey['alg'] = 'ES256'): Promise<TestAccountKey> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true },
  );
  return { alg, privateKey, jwk: await exportJWK(publicKey) };
}

export async function signJws(
  key: TestAccountKey,
  protectedHeader: Record<string, unknown>,
  payload: unknown,
): Promise<Record<string, string>> {
  const bytes = payload === '' ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(payload));
  return (await new FlattenedSign(bytes)
    .setProtectedHeader({ alg: key.alg, ...protectedHeader })
    .sign(key.privateKey)) as unknown as Record<string, string>;
}

/** A minimal ACME client over fastify inject, for protocol tests that need to send what real clients never would. */
export class InjectAcmeClient {
  kid?: string;
  directory!: Record<string, string>;
  constructor(
    readonly app: FastifyInstance,
    readonly key: TestAccountKey,
    readonly directoryPath: string,
    readonly host = 'acme.test:443',
  ) {}

  url(path: string): string {
    return `https://${this.host}${path}`;
  }

  path(url: string): string {
    return new URL(url).pathname;
  }

  async start(): Promise<this> {
    const res = await this.app.inject({ method: 'GET', url: this.directoryPath, headers: { host: this.host } });
    this.directory = JSON.parse(res.body) as Record<string, string>;
    return this;
  }

  async nonce(): Promise<string> {
    const res = await this.app.inject({
      method: 'HEAD',
      url: this.path(this.directory.newNonce!),
      headers: { host: this.host },
    });
    return String(res.headers['replay-nonce']);
  }

  async postRaw(url: string, body: unknown, contentType = 'application/jose+json') {
    const res = await this.app.inject({
      method: 'POST',
      url: this.path(url),
      headers: { host: this.host, 'content-type': contentType },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests read ACME response fields directly.
    return { status: res.statusCode, headers: res.headers, body: res.body, json: json as Record<string, any> };
  }

  async post(
    url: string,
    payload: unknown,
    options: { jwk?: boolean; nonce?: string; headerUrl?: string; key?: TestAccountKey } = {},
  ) {
    const key = options.key ?? this.key;
    const header: Record<string, unknown> = {
      nonce: options.nonce ?? (await this.nonce()),
      url: options.headerUrl ?? url,
    };
    if (options.jwk || !this.kid) header.jwk = key.jwk;
    else header.kid = this.kid;
    return this.postRaw(url, await signJws(key, header, payload));
  }

  async register(payload: Record<string, unknown> = { termsOfServiceAgreed: true }) {
    const res = await this.post(this.directory.newAccount!, payload, { jwk: true });
    if (res.headers.location) this.kid = String(res.headers.location);
    return res;
  }
}
