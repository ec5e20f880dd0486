import { type ParsedCsr, userPrincipalNames } from '@certctl/pki';
import type { IntuneClaim } from './intune-challenge.js';

function normalised(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim().toLowerCase()).filter(Boolean))].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = normalised(a);
  const y = normalised(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Why the CSR does not ask for what the challenge allows, or undefined when it does. A name the
 * claim lists must be exactly the CSR's (sets, case-insensitive); a kind of name the claim leaves
 * out is not constrained by it (the certificate profile still is).
 */
export function csrMismatch(claim: IntuneClaim, csr: ParsedCsr): string | undefined {
  if (claim.deviceName !== undefined && claim.deviceName !== csr.commonName)
    return `the CSR common name "${csr.commonName ?? ''}" is not the challenge's device_name "${claim.deviceName}"`;
  const checks: [string, string[], string[]][] = [
    ['san_dns', claim.sanDns, csr.sans.filter((s) => s.type === 'dns').map((s) => s.value)],
    ['san_rfc822', claim.sanRfc822, csr.sans.filter((s) => s.type === 'email').map((s) => s.value)],
    ['san_upn', claim.sanUpn, userPrincipalNames(csr.sans)],
  ];
  for (const [name, allowed, requested] of checks) {
    if (allowed.length > 0 && !sameSet(allowed, requested))
      return `the CSR's ${name} names ${JSON.stringify(normalised(requested))} are not the challenge's ${JSON.stringify(normalised(allowed))}`;
  }
  return undefined;
}
