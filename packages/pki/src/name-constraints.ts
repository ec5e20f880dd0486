/** RFC 5280 4.2.1.10 name constraint matching for DNS names, email addresses and IP addresses. */
import type { NameConstraintsValue } from './certificate-extensions.js';
import { cidrToBytes, ipToBytes, type ParsedGeneralName } from './general-names.js';

/** `example.com` permits example.com and every subdomain; `.example.com` only subdomains (openssl's reading). */
export function dnsNameMatchesConstraint(name: string, constraint: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const c = constraint.toLowerCase().replace(/\.$/, '');
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

/** `user@host` is one mailbox, `host` every mailbox at host, `.host` every mailbox at a subdomain of host. */
export function emailMatchesConstraint(email: string, constraint: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const host = email.slice(at + 1).toLowerCase();
  const c = constraint.toLowerCase();
  if (c.includes('@'))
    return (
      email.slice(0, at) === constraint.slice(0, constraint.lastIndexOf('@')) &&
      host === c.slice(c.lastIndexOf('@') + 1)
    );
  if (c.startsWith('.')) return host.endsWith(c);
  return host === c;
}

/** Address bytes against address+mask bytes of the same family. */
export function ipMatchesConstraint(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

export interface ConstrainedNames {
  dns: string[];
  email: string[];
  /** Textual IP addresses. */
  ip: string[];
}

type Kind = keyof ConstrainedNames;

function matches(kind: Kind, value: string, constraint: ParsedGeneralName): boolean {
  if (kind === 'dns' && constraint.type === 'dns') return dnsNameMatchesConstraint(value, constraint.value);
  if (kind === 'email' && constraint.type === 'email') return emailMatchesConstraint(value, constraint.value);
  if (kind === 'ip' && constraint.type === 'ip') {
    try {
      return ipMatchesConstraint(ipToBytes(value), cidrToBytes(constraint.value));
    } catch {
      return false;
    }
  }
  return false;
}

const KIND_OF_CONSTRAINT: Partial<Record<ParsedGeneralName['type'], Kind>> = { dns: 'dns', email: 'email', ip: 'ip' };

/** The first name that violates the constraints, or undefined when all names are allowed. */
export function findNameConstraintViolation(
  names: ConstrainedNames,
  constraints: NameConstraintsValue,
): { kind: Kind; name: string } | undefined {
  for (const kind of ['dns', 'email', 'ip'] as const) {
    const permitted = constraints.permitted.filter((c) => KIND_OF_CONSTRAINT[c.type] === kind);
    for (const name of names[kind]) {
      if (permitted.length > 0 && !permitted.some((c) => matches(kind, name, c))) return { kind, name };
      if (constraints.excluded.some((c) => matches(kind, name, c))) return { kind, name };
    }
  }
  return undefined;
}

const HOSTNAME_LIKE = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i;

/**
 * The names of a certificate that name constraints apply to: SAN DNS/email/IP, subject
 * emailAddress, and the subject CN as a DNS name when it looks like one and there is no SAN DNS name
 * (what browsers and openssl do for legacy certificates).
 */
export function constrainedNamesOf(certificate: {
  sans: ParsedGeneralName[];
  subjectCommonName: string | undefined;
  subjectEmailAddresses: string[];
}): ConstrainedNames {
  const dns = certificate.sans.filter((n) => n.type === 'dns').map((n) => n.value);
  const email = [
    ...certificate.sans.filter((n) => n.type === 'email').map((n) => n.value),
    ...certificate.subjectEmailAddresses,
  ];
  const ip = certificate.sans.filter((n) => n.type === 'ip').map((n) => n.value);
  if (dns.length === 0 && certificate.subjectCommonName && HOSTNAME_LIKE.test(certificate.subjectCommonName))
    dns.push(certificate.subjectCommonName);
  return { dns, email, ip };
}
