import { REDACTED } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { assertNoRedactedPlaceholders, keepRedactedSecrets } from './connector-config.js';

describe('keepRedactedSecrets', () => {
  const previous = {
    password: 'stored-password',
    headers: { 'X-Token': 'stored-token', 'X-Other': 'stored-other' },
    accounts: [
      { name: 'a', api_key: 'stored-a' },
      { name: 'b', api_key: 'stored-b' },
    ],
  };

  it('keeps stored values where the update says [redacted], through record keys and array positions', () => {
    const next = {
      password: REDACTED,
      headers: { 'X-Token': REDACTED, 'X-Other': 'new-other' },
      accounts: [
        { name: 'a', api_key: REDACTED },
        { name: 'b', api_key: 'new-b' },
      ],
    };
    const paths = [['password'], ['headers', '*'], ['accounts', '*', 'api_key']];
    expect(keepRedactedSecrets(paths, next, previous)).toEqual({
      password: 'stored-password',
      headers: { 'X-Token': 'stored-token', 'X-Other': 'new-other' },
      accounts: [
        { name: 'a', api_key: 'stored-a' },
        { name: 'b', api_key: 'new-b' },
      ],
    });
    expect(next.password).toBe(REDACTED);
  });

  it('leaves a [redacted] with nothing stored at its place, and the placeholder check refuses it', () => {
    const next = { headers: { 'X-New': REDACTED }, accounts: [{}, {}, { name: 'c', api_key: REDACTED }] };
    const paths = [
      ['headers', '*'],
      ['accounts', '*', 'api_key'],
    ];
    const merged = keepRedactedSecrets(paths, next, previous);
    expect(merged).toEqual(next);
    expect(() => assertNoRedactedPlaceholders(paths, merged)).toThrowError(/headers\.X-New, accounts\.2\.api_key/);
    expect(() => assertNoRedactedPlaceholders(paths, previous)).not.toThrow();
  });
});
