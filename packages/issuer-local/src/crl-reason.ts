/** core's revocation reason names to the CRL/OCSP reason names of @certctl/pki (same RFC 5280 codes, different spelling). */
import { type RevocationReason, revocationReasonCode } from '@certctl/core';
import { type CrlReason, crlReasonFromCode } from '@certctl/pki';

export function crlReasonOf(reason: RevocationReason): CrlReason {
  const mapped = crlReasonFromCode(revocationReasonCode(reason));
  // Both tables are RFC 5280's; a gap would be a bug in one of them, not bad input.
  if (mapped === undefined) throw new Error(`no CRL reason for "${reason}"`);
  return mapped;
}
