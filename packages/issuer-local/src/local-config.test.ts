import { ConfigValidationError, configFromEnv, configJsonSchema, parseConfig, secretPaths } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { isSubCaMode, localConfigSchema, localEnvMapping } from './local-config.js';

const parse = (raw: unknown) => parseConfig(localConfigSchema, raw, 'issuer-local');

describe('local CA config', () => {
  it('an empty config is a self-signed ECDSA P-256 root issuing 90-day certificates', () => {
    const config = parse({});
    expect(config).toEqual({
      ca_common_name: 'CertCtl Local CA',
      ca_key_algorithm: 'ecdsa-p256',
      ca_validity_days: 3650,
      validity_days: 90,
      hierarchy_mode: 'single',
      ocsp_responder: 'delegated',
      ocsp_responder_validity_days: 7,
    });
    expect(isSubCaMode(config)).toBe(false);
  });

  it('accepts the reference example', () => {
    const config = parse({
      ca_common_name: 'CertCtl Local CA',
      validity_days: 90,
      ca_cert_path: '/etc/certctl/ca/ca.pem',
      ca_key_path: '/etc/certctl/ca/ca-key.pem',
    });
    expect(isSubCaMode(config)).toBe(true);
  });

  it('sub-CA mode needs both the certificate and the key path', () => {
    expect(() => parse({ ca_cert_path: '/etc/ca.pem' })).toThrow(/ca_key_path: sub-CA mode needs both/);
    expect(() => parse({ ca_key_path: '/etc/ca-key.pem' })).toThrow(/ca_cert_path: sub-CA mode needs both/);
  });

  it('rejects sub-CA-only keys without sub-CA mode, unknown keys and bad values', () => {
    expect(() => parse({ ca_chain_path: '/etc/chain.pem' })).toThrow(/ca_chain_path: only used in sub-CA mode/);
    expect(() => parse({ validity_day: 30 })).toThrow(ConfigValidationError);
    expect(() => parse({ validity_days: 0 })).toThrow(/validity_days/);
    expect(() => parse({ validity_days: 1.5 })).toThrow(/validity_days/);
    expect(() => parse({ ca_key_algorithm: 'dsa-1024' })).toThrow(/ca_key_algorithm/);
    expect(() => parse({ ca_country: 'germany' })).toThrow(/ca_country/);
  });

  it('marks the key passphrase secret and never echoes it', () => {
    expect(secretPaths(localConfigSchema)).toEqual([['ca_key_passphrase']]);
    try {
      parse({ ca_key_passphrase: 'hunter2-hunter2' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });

  it('exports to JSON Schema with every key documented', () => {
    const schema = configJsonSchema(localConfigSchema) as { properties: Record<string, { description?: string }> };
    for (const [key, property] of Object.entries(schema.properties)) {
      expect(property.description, key).toBeTruthy();
    }
  });

  it('reads sub-CA mode from CERTCTL_CA_CERT_PATH and CERTCTL_CA_KEY_PATH', () => {
    const raw = configFromEnv(localConfigSchema, localEnvMapping, {
      CERTCTL_CA_CERT_PATH: '/etc/certctl/ca/ca.pem',
      CERTCTL_CA_KEY_PATH: '/etc/certctl/ca/ca-key.pem',
      CERTCTL_CA_CHAIN_PATH: '/etc/certctl/ca/chain.pem',
    });
    expect(raw).toEqual({
      ca_cert_path: '/etc/certctl/ca/ca.pem',
      ca_key_path: '/etc/certctl/ca/ca-key.pem',
      ca_chain_path: '/etc/certctl/ca/chain.pem',
    });
    expect(isSubCaMode(parse(raw))).toBe(true);
    expect(configFromEnv(localConfigSchema, localEnvMapping, {})).toBeUndefined();
  });
});
