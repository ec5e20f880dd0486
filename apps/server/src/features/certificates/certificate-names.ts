import type { SubjectAltNames } from '@certctl/core';
import { isIP } from 'node:net';

export type SanType = 'dns' | 'ip' | 'email' | 'uri';

/** The type of a SAN written as a plain string on the API: IPs, emails and URIs are recognised, the rest is DNS. */
export function sanType(value: string): SanType {
  if (isIP(value)) return 'ip';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('spiffe:')) return 'uri';
  if (value.includes('@')) return 'email';
  return 'dns';
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Why a SAN string is not acceptable, or undefined. */
export function sanProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 253) return 'must be 1-253 characters';
  const type = sanType(value);
  if (type === 'dns' && !DNS_NAME.test(value)) return 'is not a valid DNS name';
  if (type === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) return 'is not a valid email address';
  return undefined;
}

export function toSubjectAltNames(commonName: string, sans: readonly string[]): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  const all = [...new Set([commonName, ...sans].filter((s) => s.length > 0))];
  for (const value of all) {
    const type = sanType(value);
    // A common name that is not a DNS name or IP (e.g. "Payments service") is not a SAN.
    if (value === commonName && !sans.includes(value) && (type === 'email' || type === 'uri' || sanProblem(value)))
      continue;
    out[type].push(type === 'dns' ? value.toLowerCase() : value);
  }
  return out;
}

/** `*.example.com` matches one label; `**.example.com` any depth; anything else is literal. Case-insensitive. */
export function matchesSanPattern(value: string, pattern: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.+' : part === '*' ? '[^.]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`).test(value.toLowerCase());
}
