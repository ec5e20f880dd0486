/**
 * What the server accepts as input before any schema or recursive work runs (docs/security.md).
 * PostgreSQL refuses NUL (0x00) in text, so a NUL anywhere is a 400, never a 500; control
 * characters are refused where a field cannot hold them (ids, names, URLs).
 */

/** Deepest nesting of a JSON body (a connector config is a few levels deep). */
export const MAX_JSON_DEPTH = 32;
/** Most values (objects, arrays, scalars, keys) in one JSON body. */
export const MAX_JSON_NODES = 20_000;
/** Largest integer accepted for an integer column (PostgreSQL `integer`). */
export const MAX_INT32 = 2_147_483_647;

import { hasControlCharacter } from '@certctl/wire';

export { hasControlCharacter };
/** A percent-encoded C0 control character or DEL in a URL (NUL included). */
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;

/**
 * Why a request URL is refused, or undefined: a NUL anywhere, or a control character in the path
 * (ids, path parameters). The query string may carry other control characters (SCEP clients send
 * base64 with encoded line breaks); its fields refuse them in their schemas where they cannot hold them.
 */
export function urlProblem(url: string): string | undefined {
  if (url.includes('\u0000') || url.includes('%00')) return 'the URL contains a NUL byte';
  const path = url.split('?', 1)[0] ?? '';
  if (ENCODED_CONTROL.test(path) || hasControlCharacter(path)) return 'the URL path contains a control character';
  return undefined;
}

/**
 * Why a parsed JSON value is refused, or undefined: too deep, too many values, or a NUL in a
 * string or key. Iterative (an explicit stack), so a hostile nesting cannot overflow the call stack.
 */
export function jsonProblem(value: unknown, limits: { maxDepth?: number; maxNodes?: number } = {}): string | undefined {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const maxNodes = limits.maxNodes ?? MAX_JSON_NODES;
  const stack: [unknown, number, string][] = [[value, 0, '']];
  let nodes = 0;
  while (stack.length > 0) {
    const [current, depth, at] = stack.pop() as [unknown, number, string];
    if (++nodes > maxNodes) return `more than ${maxNodes} values`;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return `${at || '(body)'}: a NUL byte is not allowed`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return `${at || '(body)'}: nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push([current[i], depth + 1, at ? `${at}.${i}` : String(i)]);
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (key.includes('\u0000')) return `${at || '(body)'}: a NUL byte is not allowed in a key`;
      if (++nodes > maxNodes) return `more than ${maxNodes} values`;
      stack.push([item, depth + 1, at ? `${at}.${key}` : key]);
    }
  }
  return undefined;
}
