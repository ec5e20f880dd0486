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
import { parse } from 'yaml';
import { traefikConfigSchema } from './traefik-config.js';
import { readTlsDynamicConfig } from './traefik-dynamic-config.js';
import { createTraefikTarget } from './traefik-target.js';

let dir: TempDir;
let ctx: TestContext;
beforeAll(async () => {
  dir = await createTempDir('certctl-traefik-');
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
  await dir.remove();
});

const target = () =>
  createTraefikTarget(
    traefikConfigSchema.parse({
      cert_dir: dir.path,
      cert_file: 'site.crt',
      key_file: 'site.key',
      dynamic_config_file: 'tls.yml',
    }),
    ctx,
  );

describe('target-traefik file layout', () => {
  it('writes the documented file-provider layout: tls.certificates[{certFile, keyFile}] naming the written files', async () => {
    const request = await createTestDeployRequest({ commonName: 'traefik.example.test' });
    expect((await target().deploy(request)).changed).toBe(true);
    // The documented shape (doc.traefik.io, file provider: tls.certificates with certFile/keyFile), read by a YAML parser.
    expect(parse(readFileSync(join(dir.path, 'tls.yml'), 'utf8'))).toEqual({
      tls: { certificates: [{ certFile: join(dir.path, 'site.crt'), keyFile: join(dir.path, 'site.key') }] },
    });
    expect(statSync(join(dir.path, 'site.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'site.crt')).mode & 0o777).toBe(0o644);
    // openssl agrees: the certificate file holds the leaf then its chain, and the key belongs to it.
    const crt = join(dir.path, 'site.crt');
    const serial = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-serial']).toString().trim().split('=')[1]!;
    expect(serial.toLowerCase().replace(/^0+/, '')).toBe(request.serial.replace(/^0+/, ''));
    writeFileSync(join(dir.path, 'ca.pem'), request.chainPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', join(dir.path, 'ca.pem'), crt]).toString()).toContain('OK');
    const pub = (args: string[]) => execFileSync('openssl', args).toString();
    expect(pub(['pkey', '-in', join(dir.path, 'site.key'), '-pubout'])).toBe(
      pub(['x509', '-in', crt, '-noout', '-pubkey']),
    );
    // Same bytes again: nothing rewritten, so Traefik's watcher sees no event.
    const mtime = statSync(join(dir.path, 'tls.yml')).mtimeMs;
    expect((await target().deploy(request)).changed).toBe(false);
    expect(statSync(join(dir.path, 'tls.yml')).mtimeMs).toBe(mtime);
  });

  it('readTlsDynamicConfig refuses anything but the documented shape with an Error', () => {
    expect(() => readTlsDynamicConfig('tls: {}\n')).toThrow('no tls.certificates');
    expect(() => readTlsDynamicConfig('tls:\n  certificates:\n    - certFile: /a\n')).toThrow(
      'lacks certFile or keyFile',
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          readTlsDynamicConfig(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 300 },
    );
  });
});
