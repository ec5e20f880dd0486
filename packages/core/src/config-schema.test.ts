import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configJsonSchema,
  jsonSchemaSecretPaths,
  mapSecretPaths,
  mapSecrets,
  parseConfig,
  redactConfig,
  redactPaths,
  scrubSecrets,
  secretPaths,
  secretValues,
} from './config-schema.js';
import { ConfigValidationError } from './errors.js';
import { REDACTED, secret } from './secret.js';

const schema = z.object({
  directory_url: z.url(),
  email: z.email().optional(),
  eab_hmac: secret(z.string().min(8)).optional(),
  poll_max_wait_seconds: z.number().int().positive().default(600),
  accounts: z.array(z.object({ name: z.string(), api_key: secret(z.string()) })).default([]),
  headers: z.record(z.string(), secret(z.string())).optional(),
});

describe('secret fields', () => {
  it('are marked in the JSON Schema as writeOnly and x-certctl-secret', () => {
    const json = configJsonSchema(schema) as { properties: Record<string, Record<string, unknown>> };
    expect(json.properties.eab_hmac).toMatchObject({ writeOnly: true, 'x-certctl-secret': true });
    expect(json.properties.directory_url?.['x-certctl-secret']).toBeUndefined();
  });

  it('are found at top level, inside arrays and inside records', () => {
    expect(secretPaths(schema)).toEqual([['eab_hmac'], ['accounts', '*', 'api_key'], ['headers', '*']]);
  });

  it('are redacted without touching other fields or the input', () => {
    const config = {
      directory_url: 'https://acme.example/dir',
      eab_hmac: 'hmac-value-123',
      accounts: [{ name: 'a', api_key: 'key-aaaa' }],
      headers: { 'X-Token': 'tok-bbbb' },
    };
    const redacted = redactConfig(schema, config);
    expect(redacted).toEqual({
      directory_url: 'https://acme.example/dir',
      eab_hmac: REDACTED,
      accounts: [{ name: 'a', api_key: REDACTED }],
      headers: { 'X-Token': REDACTED },
    });
    expect(config.eab_hmac).toBe('hmac-value-123');
  });

  it('leave absent optional secrets absent when redacting', () => {
    expect(redactConfig(schema, { directory_url: 'https://x.example' })).toEqual({
      directory_url: 'https://x.example',
    });
  });

  it('can be listed and scrubbed from text', () => {
    const config = {
      directory_url: 'https://x.example',
      eab_hmac: 'hmac-value-123',
      accounts: [{ name: 'a', api_key: 'key-aaaa' }],
    };
    const values = secretValues(schema, config);
    expect(values.sort()).toEqual(['hmac-value-123', 'key-aaaa']);
    expect(scrubSecrets('401 with key key-aaaa and hmac hmac-value-123', values)).toBe(
      `401 with key ${REDACTED} and hmac ${REDACTED}`,
    );
  });

  it('can be mapped (encrypt/decrypt at rest) and mapped back', () => {
    const config = {
      directory_url: 'https://x.example',
      eab_hmac: 'hmac-value-123',
      accounts: [{ name: 'a', api_key: 'k1' }],
    };
    const enc = mapSecrets(schema, config, (v) => `enc:${String(v)}`);
    expect(enc).toMatchObject({ eab_hmac: 'enc:hmac-value-123', accounts: [{ name: 'a', api_key: 'enc:k1' }] });
    const dec = mapSecrets(schema, enc, (v) => String(v).replace(/^enc:/, ''));
    expect(dec).toEqual(config);
  });
});

describe('secret paths of a JSON Schema (what an agent reports for a target the server lacks)', () => {
  it('are the same as those of the zod schema it was made from', () => {
    const json = JSON.parse(JSON.stringify(configJsonSchema(schema)));
    expect(jsonSchemaSecretPaths(json)).toEqual(secretPaths(schema));
  });

  it('follow local $refs in $defs and definitions, unions and tuple items, and ignore unmarked fields', () => {
    const json = {
      type: 'object',
      $defs: { credential: { type: 'object', properties: { password: { type: 'string', 'x-certctl-secret': true } } } },
      definitions: { token: { type: 'string', 'x-certctl-secret': true } },
      properties: {
        host: { type: 'string' },
        login: { $ref: '#/$defs/credential' },
        token: { $ref: '#/definitions/token' },
        auth: {
          anyOf: [{ type: 'object', properties: { client_secret: { 'x-certctl-secret': true } } }, { type: 'null' }],
        },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { 'x-certctl-secret': true }] },
        unmarked: { type: 'string', writeOnly: true },
        remote: { $ref: 'https://example.com/schema.json' },
      },
    };
    expect(jsonSchemaSecretPaths(json)).toEqual([
      ['login', 'password'],
      ['token'],
      ['auth', 'client_secret'],
      ['pair', '*'],
    ]);
  });

  it('stop at a $ref cycle', () => {
    const json = {
      $defs: {
        node: { type: 'object', properties: { next: { $ref: '#/$defs/node' }, key: { 'x-certctl-secret': true } } },
      },
      $ref: '#/$defs/node',
    };
    expect(jsonSchemaSecretPaths(json)).toEqual([['key']]);
  });

  it('drive redaction and mapping without a zod schema', () => {
    const paths = [['password'], ['keys', '*', 'secret']] as const;
    const config = { host: 'f5.example', password: 'pw-123456', keys: [{ id: 'a', secret: 's-1' }, { id: 'b' }] };
    expect(redactPaths(config, paths)).toEqual({
      host: 'f5.example',
      password: REDACTED,
      keys: [{ id: 'a', secret: REDACTED }, { id: 'b' }],
    });
    const seen: string[] = [];
    const mapped = mapSecretPaths(config, paths, (value, path) => {
      seen.push(path.join('.'));
      return `enc:${String(value)}`;
    });
    expect(mapped).toMatchObject({ password: 'enc:pw-123456', keys: [{ secret: 'enc:s-1' }, { id: 'b' }] });
    expect(seen).toEqual(['password', 'keys.*.secret']);
    expect(config.password).toBe('pw-123456');
  });

  it('never reach through inherited keys such as __proto__', () => {
    const config = JSON.parse('{"a":1}');
    expect(redactPaths(config, [['__proto__', 'polluted']])).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseConfig', () => {
  it('returns typed values with defaults applied', () => {
    expect(parseConfig(schema, { directory_url: 'https://x.example' })).toMatchObject({
      poll_max_wait_seconds: 600,
      accounts: [],
    });
  });

  it('names every offending path and never echoes a value', () => {
    let caught: unknown;
    try {
      parseConfig(schema, { directory_url: 'not a url', eab_hmac: 'short', poll_max_wait_seconds: -1 }, 'issuer-acme');
    } catch (error) {
      caught = error;
    }
    expect(ConfigValidationError.isInstance(caught)).toBe(true);
    const error = caught as ConfigValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(['directory_url', 'eab_hmac', 'poll_max_wait_seconds']);
    expect(error.message).toMatch(/^\[certctl\] \[issuer-acme\] invalid configuration: /);
    expect(error.message).not.toContain('short');
    expect(error.message).not.toContain('not a url');
  });

  it('reports a missing required key as required', () => {
    expect(() => parseConfig(schema, {})).toThrowError(/directory_url: required/);
  });
});
