import { describe, expect, it } from 'vitest';
import { pkiUrlsFor } from './pki-urls.js';

describe('PKI URLs', () => {
  it('are built from the plain-HTTP PKI base URL and the instance id', () => {
    expect(
      pkiUrlsFor({
        app: 'server',
        pkiHttpBaseUrl: 'http://ca.example.com:8080/',
        publicBaseUrl: 'https://ca.example.com',
        instanceId: 'iss-local',
      }),
    ).toEqual({
      crl: 'http://ca.example.com:8080/.well-known/pki/crl/iss-local',
      ocsp: 'http://ca.example.com:8080/.well-known/pki/ocsp/iss-local',
      caIssuers: 'http://ca.example.com:8080/.well-known/pki/ca/iss-local',
    });
  });

  it('fall back to the public URL, and are absent without a base URL or an instance id', () => {
    expect(pkiUrlsFor({ app: 'server', publicBaseUrl: 'https://ca.example.com', instanceId: 'a b' })?.crl).toBe(
      'https://ca.example.com/.well-known/pki/crl/a%20b',
    );
    expect(pkiUrlsFor({ app: 'server', instanceId: 'iss-local' })).toBeUndefined();
    expect(pkiUrlsFor({ app: 'server', pkiHttpBaseUrl: 'http://x' })).toBeUndefined();
  });
});
