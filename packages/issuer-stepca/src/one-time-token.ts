/**
 * The one-time token (OTT) step-ca's JWK provisioner accepts: a JWT signed with the provisioner key,
 * `kid` in the header, `iss` the provisioner name, `aud` the endpoint URL, `sub` the common name
 * (or, to revoke, the serial), `sans`, five minutes of validity and a random single-use `jti`.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ProvisionerKey } from './provisioner-key.js';

export const TOKEN_LIFETIME_SECONDS = 300;

export interface OneTimeTokenOptions {
  key: ProvisionerKey;
  provisionerName: string;
  audience: string;
  subject: string;
  sans?: string[];
  /** SHA-256 fingerprint of the root (hex), as the step CLI puts it in `sha`. */
  rootFingerprint?: string;
  now: Date;
}

export async function createOneTimeToken(options: OneTimeTokenOptions): Promise<string> {
  const now = Math.floor(options.now.getTime() / 1000);
  const claims: Record<string, unknown> = {};
  if (options.sans) claims.sans = options.sans;
  if (options.rootFingerprint) claims.sha = options.rootFingerprint;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: 'JWT' })
    .setIssuer(options.provisionerName)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
    .setJti(randomBytes(32).toString('hex'))
    .sign(options.key.privateKey);
}
