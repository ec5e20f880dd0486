import { MalformedInputError } from '@certctl/core';

export type ArgumentKind = 'hex-serial' | 'revocation-reason' | 'hostname' | 'file-path';

/** RFC 5280 CRLReason names, spelled as @certctl/core spells them. */
const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'caCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aaCompromise',
] as const;

const REASON_BY_FOLDED = new Map(REVOCATION_REASONS.map((name) => [name.toLowerCase(), name]));

/**
 * Checks a value before it becomes a command argument and returns its canonical form: hex serials
 * lower-case without separators, reason names as RFC 5280 camelCase, hostnames lower-case, file
 * paths unchanged. Throws MalformedInputError; nothing returned can be mistaken for an option.
 */
export function validateArgument(value: string, kind: ArgumentKind, connector?: string): string {
  const refuse = (message: string): never => {
    throw new MalformedInputError({ connector, inputKind: kind, message: `${kind} ${message}` });
  };
  if (typeof value !== 'string') refuse('is not a string');
  switch (kind) {
    case 'hex-serial': {
      const compact = value.trim().replace(/:/g, '').toLowerCase();
      if (!/^[0-9a-f]{1,40}$/.test(compact) || /::|^:|:$/.test(value.trim())) {
        refuse('must be 1 to 40 hex digits (20 octets), optionally colon-separated');
      }
      return compact;
    }
    case 'revocation-reason': {
      const folded = value.trim().replace(/[_-]/g, '').toLowerCase();
      const name = REASON_BY_FOLDED.get(folded);
      if (!name) refuse(`"${value.slice(0, 40)}" is not an RFC 5280 reason (${REVOCATION_REASONS.join(', ')})`);
      return name as string;
    }
    case 'hostname': {
      const host = value.toLowerCase().replace(/\.$/, '');
      const labels = host.split('.');
      const ok =
        host.length > 0 &&
        host.length <= 253 &&
        labels.every(
          (label, i) => (i === 0 && label === '*' && labels.length > 2) || /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(label),
        );
      if (!ok) refuse('must be a DNS name of letters, digits and hyphens (a leading "*." wildcard is allowed)');
      return host;
    }
    case 'file-path': {
      if (value.length === 0 || value.length > 4096) refuse('must be 1 to 4096 characters');
      if (value.includes('\0') || /[\r\n]/.test(value)) refuse('must not contain NUL or line breaks');
      if (value.startsWith('-')) refuse('must not start with "-" (it would read as an option); prefix it with ./');
      return value;
    }
    default:
      return refuse('is not a known argument kind');
  }
}
