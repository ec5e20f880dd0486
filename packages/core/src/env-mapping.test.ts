import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFromEnv, envNames } from './env-mapping.js';
import { ConfigValidationError } from './errors.js';
import { secret } from './secret.js';

const schema = z.object({
  addr: z.url(),
  token: secret(z.string()),
  mount: z.string().default('pki'),
  ttl_seconds: z.number().int().optional(),
  insecure: z.boolean().default(false),
  allowed_domains: z.array(z.string()).optional(),
  tls: z.object({ ca_path: z.string() }).optional(),
});

const mapping = {
  CERTCTL_VAULT_ADDR: 'addr',
  CERTCTL_VAULT_TOKEN: 'token',
  ...envNames('CERTCTL_VAULT_', ['mount', 'ttl_seconds', 'insecure', 'allowed_domains']),
  CERTCTL_VAULT_CA_PATH: 'tls.ca_path',
};

describe('configFromEnv', () => {
  it('derives upper-case names from keys', () => {
    expect(envNames('CERTCTL_VAULT_', ['mount', 'ttl_seconds'])).toEqual({
      CERTCTL_VAULT_MOUNT: 'mount',
      CERTCTL_VAULT_TTL_SECONDS: 'ttl_seconds',
    });
  });

  it('returns undefined when no variable is set', () => {
    expect(configFromEnv(schema, mapping, { PATH: '/bin' })).toBeUndefined();
  });

  it('coerces by schema type and nests dotted keys', () => {
    const config = configFromEnv(schema, mapping, {
      CERTCTL_VAULT_ADDR: 'https://vault:8200',
      CERTCTL_VAULT_TOKEN: 's.abc',
      CERTCTL_VAULT_TTL_SECONDS: '3600',
      CERTCTL_VAULT_INSECURE: 'true',
      CERTCTL_VAULT_ALLOWED_DOMAINS: 'a.example, b.example',
      CERTCTL_VAULT_CA_PATH: '/etc/vault/ca.pem',
    });
    expect(config).toEqual({
      addr: 'https://vault:8200',
      token: 's.abc',
      ttl_seconds: 3600,
      insecure: true,
      allowed_domains: ['a.example', 'b.example'],
      tls: { ca_path: '/etc/vault/ca.pem' },
    });
    expect(schema.parse(config)).toMatchObject({ mount: 'pki', ttl_seconds: 3600 });
  });

  it('names the variable when a value is malformed', () => {
    expect(() => configFromEnv(schema, mapping, { CERTCTL_VAULT_TTL_SECONDS: 'soon' })).toThrowError(
      ConfigValidationError,
    );
    expect(() => configFromEnv(schema, mapping, { CERTCTL_VAULT_INSECURE: 'maybe' })).toThrowError(
      /CERTCTL_VAULT_INSECURE: expected true or false/,
    );
  });
});
