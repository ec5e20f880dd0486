import { describe, expect, it } from 'vitest';
import { configFromValues, fieldsFromSchema, type JsonSchema, labelOf } from './schema-form';

/** The shape `GET /api/v1/issuer-types` publishes (zod's toJSONSchema of a connector config, one secret). */
const schema: JsonSchema = {
  type: 'object',
  properties: {
    ca_common_name: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      default: 'certctl Local CA',
      description: 'Root CN',
    },
    directory_url: { type: 'string', format: 'uri', description: 'ACME directory' },
    eab_hmac_key: { type: 'string', writeOnly: true, 'x-certctl-secret': true },
    validity_days: { type: 'integer', minimum: 1, maximum: 3650, default: 90 },
    key_algorithm: { type: 'string', enum: ['ecdsa-p256', 'rsa-2048'], default: 'ecdsa-p256' },
    allowed_domains: { type: 'array', items: { type: 'string' } },
    staging: { type: 'boolean', default: false },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    country: { type: 'string', pattern: '^[A-Z]{2}$' },
  },
  required: ['ca_common_name', 'directory_url', 'eab_hmac_key', 'validity_days'],
  additionalProperties: false,
};

describe('forms generated from a connector JSON Schema', () => {
  const fields = fieldsFromSchema(schema);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));

  it('makes one typed field per property, required ones first, secrets as write-only password fields', () => {
    expect(fields.map((f) => f.name).slice(0, 2)).toEqual(['directory_url', 'eab_hmac_key']);
    expect(byName.eab_hmac_key).toMatchObject({ kind: 'secret', required: true, initial: '' });
    expect(byName.validity_days).toMatchObject({ kind: 'integer', required: false, initial: '90' });
    expect(byName.key_algorithm).toMatchObject({ kind: 'select', options: ['ecdsa-p256', 'rsa-2048'] });
    expect(byName.allowed_domains?.kind).toBe('list');
    expect(byName.staging).toMatchObject({ kind: 'boolean', initial: false });
    expect(byName.labels?.kind).toBe('json');
    expect(byName.ca_common_name).toMatchObject({ label: 'CA common name', required: false });
    expect(labelOf('eab_hmac_key', {})).toBe('EAB HMAC key');
  });

  it('turns typed values into a config the schema accepts, leaving empty optional fields to the defaults', () => {
    const result = configFromValues(fields, {
      directory_url: ' https://acme.example/dir ',
      eab_hmac_key: 's3cret',
      validity_days: '30',
      allowed_domains: 'a.example, b.example',
      staging: true,
      labels: '{"team":"ops"}',
    });
    expect(result.errors).toEqual({});
    expect(result.config).toEqual({
      ca_common_name: 'certctl Local CA',
      directory_url: 'https://acme.example/dir',
      eab_hmac_key: 's3cret',
      validity_days: 30,
      key_algorithm: 'ecdsa-p256',
      allowed_domains: ['a.example', 'b.example'],
      staging: true,
      labels: { team: 'ops' },
    });
  });

  it('names each wrong field before anything is sent', () => {
    const result = configFromValues(fields, {
      validity_days: '0',
      labels: '{not json',
      country: 'usa',
      key_algorithm: 'dsa',
    });
    expect(result.errors).toEqual({
      directory_url: 'Directory URL is required',
      eab_hmac_key: 'EAB HMAC key is required',
      validity_days: 'Validity days must be at least 1',
      labels: 'Labels must be valid JSON',
      country: 'Country does not have the expected format',
      key_algorithm: 'Key algorithm: choose one of the options',
    });
    expect(configFromValues(fields, { validity_days: '2.5' }).errors.validity_days).toBe(
      'Validity days must be a whole number',
    );
  });

  it('has no fields for a connector without a schema', () => {
    expect(fieldsFromSchema(undefined)).toEqual([]);
    expect(configFromValues([], {})).toEqual({ config: {}, errors: {} });
  });
});
