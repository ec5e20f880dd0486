import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature. */
export const SIGNATURE_HEADER = 'X-Certctl-Signature';

/** How far a signature's timestamp may be from the receiver's clock by default (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The `X-Certctl-Signature` value for a body sent at `timestamp` (unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. Binding the timestamp into the MAC
 * lets receivers refuse replays of an old delivery.
 */
export function signWebhookPayload(secret: string, body: string | Uint8Array, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

export type SignatureVerification =
  | { ok: true; timestamp: number; reason?: undefined }
  | { ok: false; reason: 'missing' | 'malformed' | 'outside_tolerance' | 'mismatch'; timestamp?: undefined };

export interface VerifyWebhookSignatureOptions {
  secret: string;
  /** The raw request body, byte for byte as received (not re-serialised JSON). */
  body: string | Uint8Array;
  /** The `X-Certctl-Signature` header value. */
  header: string | null | undefined;
  /** Largest accepted distance between the signed timestamp and `now`; default 300 s. */
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * Checks a delivery on the receiving side: the header parses, its timestamp is within the tolerance
 * (so a captured request cannot be replayed later), and one `v1` signature matches (compared in
 * constant time; several `v1` entries are accepted so a sender can rotate secrets). Receivers that
 * must not process a delivery twice inside the tolerance window also remember `X-Certctl-Delivery`.
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): SignatureVerification {
  const header = options.header;
  if (header === null || header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: 'outside_tolerance' };
  const expected = Buffer.from(hmacHex(options.secret, timestamp, options.body), 'hex');
  const match = signatures.some((candidate) => timingSafeEqual(candidate, expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
