import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** OpenSSH's fingerprint of a host key blob (SSH wire format): `SHA256:` and unpadded base64. */
export function hostKeyFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A fingerprint as written by `ssh-keygen -l` (with or without `SHA256:`, padding ignored), or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const match = /^(?:SHA256:)?([A-Za-z0-9+/]{43})=?$/.exec(text.trim());
  return match ? `SHA256:${match[1]}` : undefined;
}

/** The name a host is looked up under in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export type KnownHostsVerdict =
  /** A line for this host holds exactly this key. */
  | { kind: 'match' }
  /** The host is listed, but with other keys: the key changed (or someone is in between). */
  | { kind: 'changed'; line: number }
  /** The key is listed under `@revoked`. */
  | { kind: 'revoked'; line: number }
  | { kind: 'unknown' };

interface KnownHostsEntry {
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string[];
  keyType: string;
  key: Buffer;
}

/**
 * Parses known_hosts text (OpenSSH sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): an optional marker, a
 * comma list of host patterns (plain, `[host]:port`, `*`/`?` wildcards, `!` negation, or hashed
 * `|1|salt|hash`), the key type and the base64 key. Malformed lines are skipped, as ssh does.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/[ \t]+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostsEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostsEntry['marker'];
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) continue;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) continue;
    entries.push({ line: i + 1, marker, patterns: hosts.split(','), keyType, key });
  }
  return entries;
}

function globMatches(pattern: string, name: string): boolean {
  // known_hosts wildcards: * any run, ? one character; everything else literal.
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

function hashedMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const expected = Buffer.from(parts[3] ?? '', 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether a line's patterns select `name` (a negated match excludes the line, even if another pattern matches). */
function patternsMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('|')) {
      if (hashedMatches(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) matched = true;
  }
  return matched;
}

/** Checks a presented host key blob against known_hosts for `host:port`. */
export function checkKnownHosts(text: string, host: string, port: number, blob: Uint8Array): KnownHostsVerdict {
  const name = knownHostsName(host, port);
  const presented = Buffer.from(blob);
  let changedLine: number | undefined;
  let matched = false;
  for (const entry of parseKnownHosts(text)) {
    // A revoked key is refused for every host, as ssh does.
    if (entry.marker === '@revoked') {
      if (entry.key.equals(presented)) return { kind: 'revoked', line: entry.line };
      continue;
    }
    // Host certificates are not used here: a CA line neither trusts nor contradicts a plain key.
    if (entry.marker === '@cert-authority' || !patternsMatch(entry.patterns, name)) continue;
    if (entry.key.equals(presented)) matched = true;
    else changedLine ??= entry.line;
  }
  if (matched) return { kind: 'match' };
  return changedLine === undefined ? { kind: 'unknown' } : { kind: 'changed', line: changedLine };
}
