import type { z } from 'zod';

/** JSON Schema keyword that marks a secret field; the server encrypts it at rest and redacts it everywhere. */
export const SECRET_KEYWORD = 'x-certctl-secret';
export const REDACTED = '[redacted]';

/**
 * Marks a config field as secret: `api_key: secret(z.string().min(1))`. The mark travels into the
 * JSON Schema (`writeOnly: true`, `x-certctl-secret: true`), which is how the server, the dashboard
 * and `redactConfig` find secret fields without knowing the connector.
 */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ writeOnly: true, [SECRET_KEYWORD]: true }) as T;
}
