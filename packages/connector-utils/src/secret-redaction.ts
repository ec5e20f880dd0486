const SENSITIVE_HEADER = /auth|token|key|secret|cookie|password|session|signature/i;

/** Values of request headers that must never appear in an error or a log (the header value and, for `Bearer x`, `x`). */
export function sensitiveHeaderValues(headers: Record<string, string>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!SENSITIVE_HEADER.test(name) || value.length === 0) continue;
    values.push(value);
    const space = value.indexOf(' ');
    if (space !== -1 && value.length - space > 4) values.push(value.slice(space + 1));
  }
  // Longest first, so a full `Bearer x` is replaced before its bare token.
  return values.sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of the given secret values in `text` with `[redacted]`. */
export function redactValues(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  return result;
}
