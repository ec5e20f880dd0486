import { isIP } from 'node:net';
import type { AcmeIdentifier } from './acme-tables.js';
import { sanProblem } from '../certificates/certificate-names.js';
import { AcmeProblem, malformed } from './problems.js';

const MAX_IDENTIFIERS = 100;

/** Validates and normalises an order's identifiers (lowercase DNS names, unique, wildcards only as a whole first label). */
export function readIdentifiers(value: unknown): AcmeIdentifier[] {
  if (!Array.isArray(value) || value.length === 0) throw malformed('identifiers must be a non-empty array');
  if (value.length > MAX_IDENTIFIERS)
    throw new AcmeProblem('rejectedIdentifier', `at most ${MAX_IDENTIFIERS} identifiers per order`);
  const seen = new Map<string, AcmeIdentifier>();
  const subproblems: unknown[] = [];
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object')
      throw malformed('each identifier must be an object with type and value');
    const { type, value: raw } = entry as { type?: unknown; value?: unknown };
    if (typeof raw !== 'string') throw malformed('identifier value must be a string');
    if (type === 'dns') {
      const name = raw.toLowerCase().replace(/\.$/, '');
      const problem = isIP(name)
        ? 'is an IP address; use type "ip"'
        : (sanProblem(name) ??
          (name.includes('*') && !/^\*\.[^*]+$/.test(name)
            ? 'has a wildcard that is not the whole first label'
            : undefined));
      if (problem || (!name.includes('.') && name !== 'localhost')) {
        subproblems.push({
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: `${raw} ${problem ?? 'is not a fully qualified name'}`,
          identifier: { type, value: raw },
        });
        continue;
      }
      seen.set(`dns:${name}`, { type: 'dns', value: name });
    } else if (type === 'ip') {
      if (!isIP(raw)) {
        subproblems.push({
          type: 'urn:ietf:params:acme:error:rejectedIdentifier',
          detail: `${raw} is not an IP address`,
          identifier: { type, value: raw },
        });
        continue;
      }
      seen.set(`ip:${raw}`, { type: 'ip', value: raw });
    } else {
      throw new AcmeProblem(
        'unsupportedIdentifier',
        `identifier type ${JSON.stringify(type)} is not supported (dns, ip)`,
      );
    }
  }
  if (subproblems.length > 0)
    throw new AcmeProblem('rejectedIdentifier', 'some identifiers cannot be issued', 400, { subproblems });
  return [...seen.values()];
}

export const identifierKey = (i: AcmeIdentifier) => `${i.type}:${i.value.toLowerCase()}`;
