/**
 * RFC 5280 section 5.3.1 reason codes for the ACME revokeCert `reason` field. Accepts the canonical
 * camelCase names and their snake_case and UPPER_SNAKE spellings (what operators type into scripts);
 * anything else is an error rather than a silent `unspecified`, since the reason ends up in
 * compliance reports.
 */
import { isRevocationReason, MalformedInputError, REVOCATION_REASONS, type RevocationReason } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

const BY_FOLDED_NAME = new Map<string, RevocationReason>(
  (Object.keys(REVOCATION_REASONS) as RevocationReason[]).map((name) => [name.toLowerCase(), name]),
);

/** RFC 5280's own ASN.1 spellings of the two names core writes differently. */
const ASN1_SPELLINGS: Readonly<Record<string, RevocationReason>> = {
  cACompromise: 'caCompromise',
  aACompromise: 'aaCompromise',
};

function fold(text: string): string {
  return text.replace(/_/g, '').toLowerCase();
}

/** The reason's code; throws MalformedInputError for a name that is not an RFC 5280 reason. */
export function acmeRevocationCode(reason: string | undefined): number {
  if (reason === undefined) return REVOCATION_REASONS.unspecified;
  if (isRevocationReason(reason)) return REVOCATION_REASONS[reason];
  const asn1 = Object.hasOwn(ASN1_SPELLINGS, reason) ? ASN1_SPELLINGS[reason] : undefined;
  if (asn1 !== undefined) return REVOCATION_REASONS[asn1];
  const snakeOrUpper = /^[a-z]+(_[a-z]+)*$|^[A-Z]+(_[A-Z]+)*$/.test(reason);
  const name = snakeOrUpper ? BY_FOLDED_NAME.get(fold(reason)) : undefined;
  if (name === undefined) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'revocation-reason',
      message: `unknown revocation reason "${reason.slice(0, 64)}": use one of ${Object.keys(REVOCATION_REASONS).join(', ')}`,
    });
  }
  return REVOCATION_REASONS[name];
}
