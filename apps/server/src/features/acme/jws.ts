import { calculateJwkThumbprint, type FlattenedJWSInput, flattenedVerify, importJWK, type JWK } from 'jose';
import { AcmeProblem, malformed } from './problems.js';

/** RFC 8555 6.2: the algorithms we accept on ACME requests. */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'EdDSA'] as const;
export type AcmeAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

const KTY_FOR: Record<AcmeAlgorithm, string> = { RS256: 'RSA', ES256: 'EC', ES384: 'EC', EdDSA: 'OKP' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const B64URL = /^[A-Za-z0-9_-]*$/;

export interface AcmeProtectedHeader {
  alg: AcmeAlgorithm;
  nonce: string;
  url: string;
  kid?: string;
  jwk?: JWK;
}

export interface ParsedJws {
  input: FlattenedJWSInput & { protected: string };
  header: AcmeProtectedHeader;
}

function decodeJsonPart(part: string, what: string): unknown {
  if (!B64URL.test(part)) throw malformed(`${what} is not base64url`);
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`${what} is not base64url-encoded JSON`);
  }
}

/**
 * Reads a request body as an RFC 8555 6.2 JWS: flattened JSON serialization with exactly
 * `protected`, `payload` and `signature`, a protected header naming an allowed `alg`, a `nonce`,
 * the `url`, and exactly one of `kid` or `jwk`. Signature checking is `verifyJws`.
 */
export function parseJws(body: unknown, options: { requireNonce?: boolean } = {}): ParsedJws {
  let value: unknown = body;
  if (body instanceof Uint8Array) {
    try {
      value = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw malformed('request body is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw malformed('request body is not a JWS object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if ('signatures' in record) throw malformed('JWS must use the flattened JSON serialization with a single signature');
  if ('header' in record) throw malformed('JWS must not have an unprotected header');
  if (keys.length !== 3 || !['protected', 'payload', 'signature'].every((k) => typeof record[k] === 'string')) {
    throw malformed('JWS must have exactly the string members protected, payload and signature');
  }
  const input = {
    protected: record.protected as string,
    payload: record.payload as string,
    signature: record.signature as string,
  };
  if (!B64URL.test(input.payload) || !B64URL.test(input.signature) || input.signature.length === 0)
    throw malformed('JWS payload and signature must be base64url');
  const header = decodeJsonPart(input.protected, 'JWS protected header');
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw malformed('JWS protected header is not an object');
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(h.alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `JWS algorithm ${JSON.stringify(h.alg)} is not supported`, 400, {
      algorithms: [...ALLOWED_ALGORITHMS],
    });
  }
  const requireNonce = options.requireNonce ?? true;
  if ((requireNonce || 'nonce' in h) && (typeof h.nonce !== 'string' || h.nonce.length === 0 || !B64URL.test(h.nonce)))
    throw new AcmeProblem('badNonce', 'JWS protected header has no valid nonce');
  if (typeof h.url !== 'string' || h.url.length === 0) throw unauthorizedUrl('JWS protected header has no url');
  if ('b64' in h || 'crit' in h) throw malformed('JWS must not use the b64 or crit header parameters');
  const hasKid = 'kid' in h;
  const hasJwk = 'jwk' in h;
  if (hasKid === hasJwk) throw malformed('JWS protected header must carry exactly one of kid and jwk');
  if (hasKid && (typeof h.kid !== 'string' || h.kid.length === 0)) throw malformed('JWS kid must be an account URL');
  if (hasJwk) {
    const jwk = h.jwk;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw malformed('JWS jwk is not an object');
    const j = jwk as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((m) => m in j)) throw new AcmeProblem('badPublicKey', 'JWS jwk must be a public key');
    if (j.kty !== KTY_FOR[h.alg as AcmeAlgorithm])
      throw new AcmeProblem('badPublicKey', `JWS jwk of type ${JSON.stringify(j.kty)} does not fit algorithm ${h.alg}`);
  }
  return {
    input,
    header: {
      alg: h.alg as AcmeAlgorithm,
      nonce: typeof h.nonce === 'string' ? h.nonce : '',
      url: h.url,
      ...(hasKid && { kid: h.kid as string }),
      ...(hasJwk && { jwk: h.jwk as JWK }),
    },
  };
}

const unauthorizedUrl = (detail: string) => new AcmeProblem('unauthorized', detail);

/** Checks the JWS signature with `jwk` and returns the payload bytes. */
export async function verifyJws(jws: Pick<ParsedJws, 'input' | 'header'>, jwk: JWK): Promise<Uint8Array> {
  // A JWS whose alg does not fit the key was not made by that key.
  if (jwk.kty !== KTY_FOR[jws.header.alg])
    throw malformed(
      `JWS signature does not verify: a ${String(jwk.kty)} key cannot make a ${jws.header.alg} signature`,
    );
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ ...jwk, ext: true }, jws.header.alg);
  } catch (error) {
    throw new AcmeProblem(
      'badPublicKey',
      `the JWS key is not usable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const result = await flattenedVerify(jws.input, key, { algorithms: [...ALLOWED_ALGORITHMS] });
    return result.payload;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/modulusLength|key size|2048/i.test(message))
      throw new AcmeProblem('badPublicKey', `JWS key rejected: ${message}`);
    throw malformed(`JWS signature does not verify: ${message}`);
  }
}

/** `""` is POST-as-GET (undefined); anything else must be a JSON object. */
export function decodePayload(payload: Uint8Array): Record<string, unknown> | undefined {
  if (payload.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw malformed('JWS payload is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw malformed('JWS payload must be a JSON object');
  return value as Record<string, unknown>;
}

/** The public members of a JWK that identify it (RFC 7638), kept as the account key. */
export function publicJwk(jwk: JWK): JWK {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
}

export async function jwkThumbprint(jwk: JWK): Promise<string> {
  try {
    return await calculateJwkThumbprint(publicJwk(jwk), 'sha256');
  } catch (error) {
    throw new AcmeProblem(
      'badPublicKey',
      `JWK has no RFC 7638 thumbprint: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
