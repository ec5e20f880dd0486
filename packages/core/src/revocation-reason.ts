/** RFC 5280 section 5.3.1 CRLReason names and codes (7 is unused by the RFC). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  caCompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aaCompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && Object.hasOwn(REVOCATION_REASONS, value);
}

export function revocationReasonCode(reason: RevocationReason): number {
  return REVOCATION_REASONS[reason];
}

export function revocationReasonFromCode(code: number): RevocationReason | undefined {
  return (Object.entries(REVOCATION_REASONS) as [RevocationReason, number][]).find(([, c]) => c === code)?.[0];
}
