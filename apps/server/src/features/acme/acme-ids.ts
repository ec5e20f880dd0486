import { randomBytes } from 'node:crypto';

const PREFIX = { account: 'acct', order: 'ord', authz: 'authz', challenge: 'chal' } as const;

/** Unguessable ids for ACME resources: they appear in URLs any client can try. */
export function newAcmeId(kind: keyof typeof PREFIX): string {
  return `${PREFIX[kind]}-${randomBytes(12).toString('hex')}`;
}

/** A challenge token (RFC 8555 8.1: at least 128 bits of entropy, base64url). */
export function newChallengeToken(): string {
  return randomBytes(32).toString('base64url');
}
