/** Name constraints as the API speaks them (CaNameConstraints) ↔ the PKI toolkit's forms. */
import type { CaNameConstraints } from '@certctl/core';
import { MalformedInputError } from '@certctl/core';
import type { NameConstraintsInput, NameConstraintsValue, SubjectAltName } from '@certctl/pki';
import { isIP } from 'node:net';
import { CONNECTOR } from '../connector-name.js';

const DNS_CONSTRAINT = /^\.?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;
const EMAIL_CONSTRAINT = /^([^@\s]+@)?\.?[a-z0-9.-]+$/i;

function invalid(message: string): MalformedInputError {
  return new MalformedInputError({ connector: CONNECTOR, inputKind: 'name-constraints', message });
}

function checkCidr(value: string): void {
  const [address, prefix, extra] = value.split('/');
  const family = isIP(address ?? '');
  const bits = Number(prefix);
  if (extra !== undefined || family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
    throw invalid(`"${value}" is not an IP range in CIDR form (e.g. 10.0.0.0/8)`);
  }
}

/** Checks every entry; throws MalformedInputError naming the first bad one. */
export function validateConstraints(constraints: CaNameConstraints | undefined): void {
  if (!constraints) return;
  for (const dns of [...(constraints.permittedDns ?? []), ...(constraints.excludedDns ?? [])]) {
    if (!DNS_CONSTRAINT.test(dns))
      throw invalid(`"${dns}" is not a DNS name constraint (e.g. example.com or .example.com)`);
  }
  for (const email of [...(constraints.permittedEmail ?? []), ...(constraints.excludedEmail ?? [])]) {
    if (!EMAIL_CONSTRAINT.test(email))
      throw invalid(`"${email}" is not an email constraint (a mailbox, a host or .domain)`);
  }
  for (const ip of [...(constraints.permittedIp ?? []), ...(constraints.excludedIp ?? [])]) checkCidr(ip);
}

const names = (type: SubjectAltName['type'], values: string[] | undefined): SubjectAltName[] =>
  (values ?? []).map((value) => ({ type, value }));

/** For the certificate builder. */
export function toConstraintsInput(constraints: CaNameConstraints | undefined): NameConstraintsInput | undefined {
  if (!constraints) return undefined;
  const permitted = [
    ...names('dns', constraints.permittedDns),
    ...names('ip', constraints.permittedIp),
    ...names('email', constraints.permittedEmail),
  ];
  const excluded = [
    ...names('dns', constraints.excludedDns),
    ...names('ip', constraints.excludedIp),
    ...names('email', constraints.excludedEmail),
  ];
  return permitted.length + excluded.length === 0 ? undefined : { permitted, excluded };
}

/** Back from a parsed certificate, for listing. */
export function fromConstraintsValue(value: NameConstraintsValue | undefined): CaNameConstraints | undefined {
  if (!value) return undefined;
  const pick = (list: NameConstraintsValue['permitted'], type: 'dns' | 'ip' | 'email') =>
    list.filter((n) => n.type === type).map((n) => n.value);
  const out: CaNameConstraints = {};
  const entries = {
    permittedDns: pick(value.permitted, 'dns'),
    excludedDns: pick(value.excluded, 'dns'),
    permittedIp: pick(value.permitted, 'ip'),
    excludedIp: pick(value.excluded, 'ip'),
    permittedEmail: pick(value.permitted, 'email'),
    excludedEmail: pick(value.excluded, 'email'),
  };
  for (const [key, list] of Object.entries(entries)) if (list.length > 0) out[key as keyof CaNameConstraints] = list;
  return out;
}
