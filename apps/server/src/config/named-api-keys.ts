import { z } from 'zod';

export const ROLES = ['admin', 'operator', 'viewer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export interface NamedApiKey {
  name: string;
  key: string;
  role: Role;
}

/**
 * `CERTCTL_API_KEYS_NAMED=name:key[:admin],...` as in the reference; the third field may also name
 * any role (`operator`, `viewer`, `agent`). Without it a key is an operator: everything but admin.
 */
export const namedApiKeys = z.string().transform((value, ctx) => {
  const keys: NamedApiKey[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, key, role = 'operator', ...rest] = entry.split(':');
    if (!name || !key || rest.length > 0 || !(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected name:key[:admin|operator|viewer|agent] entries separated by commas',
      });
      return z.NEVER;
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `key name "${name}" may only use letters, digits, dot, dash and underscore`,
      });
      return z.NEVER;
    }
    if (key.length < 16) {
      ctx.addIssue({ code: 'custom', message: `the key named "${name}" is shorter than 16 characters` });
      return z.NEVER;
    }
    // Names identify who acted (audit, approvals): two keys with one name would be one person twice.
    if (keys.some((k) => k.name === name)) {
      ctx.addIssue({ code: 'custom', message: `two keys are named "${name}"; key names must be unique` });
      return z.NEVER;
    }
    keys.push({ name, key, role: role as Role });
  }
  return keys;
});
