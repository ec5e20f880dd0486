import { ConnectorError, MalformedInputError } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { keyUsageFor, leafProfile, subjectAltNames, validityWindow } from './leaf-profile.js';

const now = new Date('2026-03-01T12:00:00.500Z');
const caNotAfter = new Date('2036-03-01T00:00:00Z');
const urls = { crl: 'http://pki/crl/x', ocsp: 'http://pki/ocsp/x', caIssuers: 'http://pki/ca/x' };
const request = {
  commonName: 'app.example.com',
  sans: { dns: ['app.example.com', 'www.example.com'], ip: [], email: [], uri: [] },
  extKeyUsages: [] as string[],
  mustStaple: false,
};
const input = (overrides: Partial<Parameters<typeof leafProfile>[0]> = {}) => ({
  request,
  validityDays: 90,
  caNotAfter,
  subjectKeyType: 'ec' as const,
  urls,
  now,
  ...overrides,
});

describe('leaf profile', () => {
  it('lasts validity_days from now (whole seconds) when the request sets no max TTL', () => {
    const { notBefore, notAfter } = leafProfile(input());
    expect(notBefore.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(notAfter.getTime() - notBefore.getTime()).toBe(90 * 86_400_000);
  });

  it('caps validity at the max TTL of the profile', () => {
    const { notBefore, notAfter } = leafProfile(input({ request: { ...request, maxTtlSeconds: 7200 } }));
    expect(notAfter.getTime() - notBefore.getTime()).toBe(7_200_000);
  });

  it('keeps validity_days when the max TTL is longer', () => {
    const { notBefore, notAfter } = leafProfile(input({ request: { ...request, maxTtlSeconds: 400 * 86_400 } }));
    expect(notAfter.getTime() - notBefore.getTime()).toBe(90 * 86_400_000);
  });

  it('never outlives the issuing CA', () => {
    const soon = new Date('2026-03-11T00:00:00Z');
    expect(leafProfile(input({ caNotAfter: soon })).notAfter).toEqual(soon);
  });

  it('refuses to issue under an expired CA and rejects nonsensical TTLs', () => {
    expect(() => leafProfile(input({ caNotAfter: new Date('2026-03-01T11:00:00Z') }))).toThrow(ConnectorError);
    expect(() => validityWindow({ validityDays: 90, caNotAfter, now, maxTtlSeconds: 0 })).toThrow(MalformedInputError);
    expect(() => validityWindow({ validityDays: 90, caNotAfter, now, maxTtlSeconds: Number.NaN })).toThrow(
      MalformedInputError,
    );
    expect(() => validityWindow({ validityDays: 90, caNotAfter, now, maxTtlSeconds: 0.5 })).toThrow(
      MalformedInputError,
    );
  });

  it('takes names from the request: CN in the subject, SANs as given, the CN added when it is a host name', () => {
    const profile = leafProfile(
      input({
        request: {
          ...request,
          commonName: 'api.example.com',
          sans: { dns: ['www.example.com'], ip: ['10.0.0.1'], email: [], uri: [] },
        },
      }),
    );
    expect(profile.subject).toEqual([['CN', 'api.example.com']]);
    expect(profile.sans).toEqual([
      { type: 'dns', value: 'api.example.com' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'ip', value: '10.0.0.1' },
    ]);
    expect(
      subjectAltNames({
        ...request,
        commonName: 'Jane Doe',
        sans: { dns: [], ip: [], email: ['jane@example.com'], uri: [] },
      }),
    ).toEqual([{ type: 'email', value: 'jane@example.com' }]);
    expect(
      subjectAltNames({ ...request, commonName: '192.0.2.7', sans: { dns: [], ip: [], email: [], uri: [] } }),
    ).toEqual([{ type: 'ip', value: '192.0.2.7' }]);
  });

  it('rejects a request that names no subject at all', () => {
    expect(() =>
      leafProfile(input({ request: { ...request, commonName: '', sans: { dns: [], ip: [], email: [], uri: [] } } })),
    ).toThrow(MalformedInputError);
  });

  it('defaults to serverAuth and accepts EKUs by name or OID, rejecting unknown names', () => {
    expect(leafProfile(input()).extKeyUsage).toEqual(['serverAuth']);
    expect(
      leafProfile(input({ request: { ...request, extKeyUsages: ['1.3.6.1.5.5.7.3.2', 'serverAuth', 'clientAuth'] } }))
        .extKeyUsage,
    ).toEqual(['clientAuth', 'serverAuth']);
    expect(() => leafProfile(input({ request: { ...request, extKeyUsages: ['webServer'] } }))).toThrow(
      MalformedInputError,
    );
  });

  it('picks key usages by purpose and key type', () => {
    expect(keyUsageFor(['serverAuth'], 'ec')).toEqual(['digitalSignature']);
    expect(keyUsageFor(['serverAuth'], 'rsa')).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(keyUsageFor(['emailProtection'], 'ec')).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(keyUsageFor(['codeSigning'], 'rsa')).toEqual(['digitalSignature']);
  });

  it('points at the CRL, OCSP responder and CA certificate', () => {
    const profile = leafProfile(input({ request: { ...request, mustStaple: true } }));
    expect(profile.crlDistributionPoints).toEqual([urls.crl]);
    expect(profile.ocspUrls).toEqual([urls.ocsp]);
    expect(profile.caIssuersUrls).toEqual([urls.caIssuers]);
    expect(profile.mustStaple).toBe(true);
    expect(leafProfile(input({ urls: undefined })).crlDistributionPoints).toEqual([]);
  });

  it('leaves revocation URLs out of certificates living under an hour, except OCSP for must-staple', () => {
    const shortLived = leafProfile(input({ request: { ...request, maxTtlSeconds: 1800 } }));
    expect(shortLived.crlDistributionPoints).toEqual([]);
    expect(shortLived.ocspUrls).toEqual([]);
    const stapled = leafProfile(input({ request: { ...request, maxTtlSeconds: 1800, mustStaple: true } }));
    expect(stapled.ocspUrls).toEqual([urls.ocsp]);
  });
});
