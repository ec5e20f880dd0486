import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyConfigSchema } from './envoy-config.js';
import { readSdsFile } from './envoy-sds.js';
import { createEnvoyTarget } from './envoy-target.js';

let dir: TempDir;
let ctx: TestContext;
beforeAll(async () => {
  dir = await createTempDir('certctl-envoy-');
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
  await dir.remove();
});

const p = (name: string) => join(dir.path, name);
const countCerts = (name: string) => (readFileSync(p(name), 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length;

describe('target-envoy file layout', () => {
  it('writes an SDS file in the documented DiscoveryResponse shape naming the cert and key files', async () => {
    const target = createEnvoyTarget(
      envoyConfigSchema.parse({ cert_dir: dir.path, sds_config: true, sds_resource_name: 'edge_cert' }),
      ctx,
    );
    const request = await createTestDeployRequest({ commonName: 'envoy.example.test' });
    expect((await target.deploy(request)).changed).toBe(true);
    // envoyproxy.io, "Secret discovery service (SDS)", file-based SDS: resources of
    // type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret with tls_certificate filenames.
    expect(JSON.parse(readFileSync(p('sds.json'), 'utf8'))).toEqual({
      resources: [
        {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
          name: 'edge_cert',
          tls_certificate: {
            certificate_chain: { filename: p('cert.pem') },
            private_key: { filename: p('key.pem') },
          },
        },
      ],
    });
    // Without chain_filename the certificate file holds the leaf then its chain.
    expect(countCerts('cert.pem')).toBe(2);
    expect(statSync(p('key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(p('sds.json')).mode & 0o777).toBe(0o644);
    writeFileSync(p('ca.pem'), request.chainPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', p('ca.pem'), p('cert.pem')]).toString()).toContain('OK');
    const pub = (args: string[]) => execFileSync('openssl', args).toString();
    expect(pub(['pkey', '-in', p('key.pem'), '-pubout'])).toBe(
      pub(['x509', '-in', p('cert.pem'), '-noout', '-pubkey']),
    );
    expect(await target.validateDeployment({ serial: request.serial })).toMatchObject({ valid: true });
    expect((await target.deploy(request)).changed).toBe(false);
  });

  it('puts the chain in chain_filename and the leaf alone in cert_filename when chain_filename is set', async () => {
    const target = createEnvoyTarget(envoyConfigSchema.parse({ cert_dir: dir.path, chain_filename: 'chain.pem' }), ctx);
    const request = await createTestDeployRequest({ commonName: 'envoy.example.test' });
    await target.deploy(request);
    expect(countCerts('cert.pem')).toBe(1);
    expect(countCerts('chain.pem')).toBe(1);
    expect(execFileSync('openssl', ['verify', '-CAfile', p('chain.pem'), p('cert.pem')]).toString()).toContain('OK');
  });

  it('readSdsFile refuses anything but tls_certificate Secrets with an Error', () => {
    expect(() => readSdsFile('{"resources": []}')).toThrow('no resources');
    expect(() =>
      readSdsFile('{"resources": [{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster"}]}'),
    ).toThrow('is not a');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          readSdsFile(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 300 },
    );
  });
});
