import { createSecureContext, createServer } from 'node:tls';
import { certificateFingerprint, createCertificateAuthority, exportPrivateKeyPem } from '@certctl/pki';
import { describe, expect, it } from 'vitest';
import { cidrProblem, planScan, probeEndpoints } from './network-scan.js';

const settings = { maxAddressesPerCidr: 4096, allowLoopback: false, concurrency: 10, ratePerSecond: 100 };

describe('network scan planning and probing', () => {
  it('never plans cloud metadata, link-local or (unless allowed) loopback addresses, and says why', async () => {
    const plan = await planScan(
      {
        cidrs: ['169.254.169.252/30', '10.1.2.0/31', '127.0.0.1/32'],
        hosts: ['metadata.google.internal', 'rebind.example.test'],
        ports: [443],
      },
      settings,
      async (host) => (host === 'rebind.example.test' ? [{ address: '169.254.169.254', family: 4 }] : []),
    );
    expect(plan.endpoints.map((e) => e.label)).toEqual(['10.1.2.0:443', '10.1.2.1:443']);
    expect(plan.skipped).toEqual([
      { reason: 'link-local address', count: 3, examples: ['169.254.169.252', '169.254.169.253', '169.254.169.255'] },
      { reason: 'metadata address', count: 2, examples: ['169.254.169.254', 'rebind.example.test'] },
      { reason: 'loopback address', count: 1, examples: ['127.0.0.1'] },
      { reason: 'cloud metadata service', count: 1, examples: ['metadata.google.internal'] },
    ]);
  });

  it('limits CIDR width to the setting', () => {
    expect(cidrProblem('10.0.0.0/20', 4096)).toBeUndefined();
    expect(cidrProblem('10.0.0.0/19', 4096)).toMatch(/8192 addresses, more than the limit of 4096/);
    expect(cidrProblem('fd00::/64', 4096)).toMatch(/more than the limit/);
    expect(cidrProblem('10.0.0.1', 4096)).toMatch(/not a CIDR block/);
  });

  it('sends the host name as SNI and records the finding under the name', async () => {
    const site = await createCertificateAuthority({ subject: { CN: 'sni.example.test' } });
    const fallback = await createCertificateAuthority({ subject: { CN: 'default.example.test' } });
    const names: (string | undefined)[] = [];
    const siteContext = createSecureContext({
      cert: site.certificate.pem,
      key: exportPrivateKeyPem(site.keys.privateKey),
    });
    const server = createServer({
      cert: fallback.certificate.pem,
      key: exportPrivateKeyPem(fallback.keys.privateKey),
      SNICallback: (name, done) => {
        names.push(name);
        done(null, name === 'sni.example.test' ? siteContext : undefined);
      },
    });
    server.on('secureConnection', (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const plan = await planScan(
        { cidrs: [], hosts: ['sni.example.test', '127.0.0.1'], ports: [port] },
        { ...settings, allowLoopback: true },
        async () => [{ address: '127.0.0.1', family: 4 }],
      );
      expect(plan.endpoints.map((e) => [e.label, e.servername])).toEqual([
        [`sni.example.test:${port}`, 'sni.example.test'],
        [`127.0.0.1:${port}`, undefined],
      ]);
      const results = await probeEndpoints(plan.endpoints, {
        concurrency: 2,
        ratePerSecond: 50,
        timeoutMs: 5000,
        signal: new AbortController().signal,
      });
      const byLabel = Object.fromEntries(
        results.map((r) => [r.endpoint.label, r.certificateDer && certificateFingerprint(r.certificateDer).hex]),
      );
      expect(byLabel).toEqual({
        [`sni.example.test:${port}`]: certificateFingerprint(site.certificate.pem).hex,
        [`127.0.0.1:${port}`]: certificateFingerprint(fallback.certificate.pem).hex,
      });
      expect(names).toContain('sni.example.test');
    } finally {
      server.close();
    }
  });
});
