import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import type { ParsedCertificate } from '@certctl/pki';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { z } from 'zod';

/**
 * Microsoft Intune dynamic SCEP challenges: the Intune Certificate Connector hands each device a
 * one-time challenge, a compact JWS it signed (RS256 or ES256) whose claims name the device and the
 * names its certificate may carry. certctl checks it locally against the Connector's signing
 * certificates (no call to Microsoft), then binds it to the CSR and spends it (intune-gate.ts).
 */
export interface IntuneClaim {
  /** `iss`: the Connector installation. */
  issuer: string;
  /** `sub`: the device (or user) the challenge was made for. */
  subject: string;
  audience: string[];
  issuedAt?: Date;
  expiresAt: Date;
  nonce?: string;
  /** `device_name`: the CSR's common name must equal it. */
  deviceName?: string;
  sanDns: string[];
  sanRfc822: string[];
  sanUpn: string[];
  /** SHA-256 of the signed payload: the challenge's identity for single use. */
  replayKey: string;
}

export type IntuneRefusal =
  | 'malformed'
  | 'signature'
  | 'unsupported_version'
  | 'not_yet_valid'
  | 'expired'
  | 'too_long_lived'
  | 'audience'
  | 'csr_mismatch'
  | 'replay'
  | 'rate_limited';

/** Why a challenge was refused: `reason` labels metrics and audit, `message` tells the operator. */
export class IntuneChallengeError extends Error {
  constructor(
    readonly reason: IntuneRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'IntuneChallengeError';
  }
}

export interface IntuneVerifyOptions {
  /** The Connector's signing certificates (only those valid at `now` are used). */
  trust: readonly ParsedCertificate[];
  audience?: string;
  validityMs: number;
  clockSkewMs: number;
  now: Date;
}

/** Longest challenge accepted; real ones are a few hundred bytes to a few KiB. */
const MAX_CHALLENGE_LENGTH = 16_384;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ACCEPTED_ALGORITHMS = ['RS256', 'ES256'] as const;
/** Payload formats this verifier knows: v1 carries no `version` claim. */
const KNOWN_VERSIONS = new Set([undefined, 'v1']);

const stringList = z.array(z.string().max(1024)).max(100).default([]);
const claimsSchema = z.object({
  version: z.string().optional(),
  iss: z.string().min(1, 'iss is empty').max(1024),
  sub: z.string().min(1, 'sub is empty').max(1024),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iat: z.number().int().nonnegative().optional(),
  nbf: z.number().int().nonnegative().optional(),
  exp: z.number().int().nonnegative(),
  nonce: z.string().max(1024).optional(),
  device_name: z.string().max(1024).optional(),
  san_dns: stringList,
  san_rfc822: stringList,
  san_upn: stringList,
});

function refuse(reason: IntuneRefusal, message: string): never {
  throw new IntuneChallengeError(reason, message);
}

/** Keys that can check `alg`: RSA for RS256, P-256 for ES256; expired or not-yet-valid certificates are left out. */
function candidateKeys(alg: string, trust: readonly ParsedCertificate[], now: Date, skewMs: number): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const certificate of trust) {
    if (
      certificate.notBefore.getTime() - skewMs > now.getTime() ||
      certificate.notAfter.getTime() + skewMs < now.getTime()
    )
      continue;
    const key = new X509Certificate(certificate.der).publicKey;
    if (alg === 'RS256' && key.asymmetricKeyType === 'rsa') keys.push(key);
    if (alg === 'ES256' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      keys.push(key);
  }
  return keys;
}

async function verifiedPayload(
  token: string,
  { trust, now, clockSkewMs }: Pick<IntuneVerifyOptions, 'trust' | 'now' | 'clockSkewMs'>,
): Promise<Uint8Array> {
  if (token.length > MAX_CHALLENGE_LENGTH || !COMPACT_JWS.test(token))
    refuse('malformed', 'the challenge is neither the static password nor a compact JWS from the Intune Connector');
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    refuse('malformed', 'the challenge JWS header is not base64url JSON');
  }
  if (alg === 'none') refuse('signature', 'the challenge is unsigned (alg "none"), which is never accepted');
  if (!alg || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg))
    refuse('signature', `the challenge uses alg "${alg ?? ''}"; only RS256 and ES256 are accepted`);
  const keys = candidateKeys(alg, trust, now, clockSkewMs);
  if (keys.length === 0)
    refuse('signature', `no currently valid certificate in the Connector bundle has a key for ${alg}`);
  for (const key of keys) {
    try {
      return (await compactVerify(token, key, { algorithms: [alg] })).payload;
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      refuse('malformed', `the challenge JWS is malformed: ${(error as Error).message}`);
    }
  }
  return refuse('signature', 'the challenge signature does not verify with any certificate in the Connector bundle');
}

function parseClaims(payload: Uint8Array): z.infer<typeof claimsSchema> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    refuse('malformed', 'the challenge payload is not JSON');
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof json === 'object' && json !== null && !KNOWN_VERSIONS.has(version as string | undefined))
    refuse('unsupported_version', `the challenge has format version ${JSON.stringify(version)}; certctl reads v1`);
  const parsed = claimsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    refuse('malformed', `the challenge claims are invalid: ${issue.path.join('.') || 'payload'}: ${issue.message}`);
  }
  return parsed.data;
}

function checkTimes(
  claims: z.infer<typeof claimsSchema>,
  options: Pick<IntuneVerifyOptions, 'validityMs' | 'clockSkewMs' | 'now'>,
) {
  const now = options.now.getTime();
  const skew = options.clockSkewMs;
  const at = (seconds: number) => new Date(seconds * 1000).toISOString();
  const notBefore = Math.max(claims.iat ?? 0, claims.nbf ?? 0) * 1000;
  if (notBefore > now + skew) refuse('not_yet_valid', `the challenge is not valid before ${at(notBefore / 1000)}`);
  if (claims.exp * 1000 <= now - skew) refuse('expired', `the challenge expired at ${at(claims.exp)}`);
  // Defence in depth: whatever exp says, no challenge outlives the profile's validity.
  if (claims.iat !== undefined && claims.iat * 1000 + options.validityMs <= now - skew)
    refuse('expired', `the challenge was issued at ${at(claims.iat)}, longer ago than INTUNE_CHALLENGE_VALIDITY`);
  const start = claims.iat !== undefined ? claims.iat * 1000 : now;
  if (claims.exp * 1000 - start > options.validityMs + skew)
    refuse('too_long_lived', `the challenge is valid until ${at(claims.exp)}, longer than INTUNE_CHALLENGE_VALIDITY`);
}

/** Verifies signature, format, time bounds and audience; binding to the CSR and single use come after. */
export async function verifyIntuneChallenge(token: string, options: IntuneVerifyOptions): Promise<IntuneClaim> {
  const payload = await verifiedPayload(token, options);
  const claims = parseClaims(payload);
  checkTimes(claims, options);
  const audience = claims.aud === undefined ? [] : typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  if (options.audience !== undefined && !audience.includes(options.audience))
    refuse('audience', `the challenge is for ${JSON.stringify(audience)}, not this endpoint (${options.audience})`);
  return {
    issuer: claims.iss,
    subject: claims.sub,
    audience,
    issuedAt: claims.iat === undefined ? undefined : new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
    nonce: claims.nonce,
    deviceName: claims.device_name,
    sanDns: claims.san_dns,
    sanRfc822: claims.san_rfc822,
    sanUpn: claims.san_upn,
    replayKey: createHash('sha256').update(payload).digest('hex'),
  };
}
