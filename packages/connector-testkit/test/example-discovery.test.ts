import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, createTestCa, type TempDir, testDiscoverySource } from '../src/index.js';
import manifest from './fixtures/example-discovery/index.js';

let dir: TempDir;

testDiscoverySource(manifest, {
  config: () => ({ dir: dir.path }),
  expect: {
    minItems: 3,
    // Both certificates of the bundle (the key between them is skipped) and the lone certificate.
    locations: () => [`${join(dir.path, 'a.pem')}#0`, `${join(dir.path, 'a.pem')}#1`, `${join(dir.path, 'b.crt')}#0`],
  },
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir();
      const ca = await createTestCa();
      const a = await ca.issue({ commonName: 'a.example.test' });
      const b = await ca.issue({ commonName: 'b.example.test' });
      // A bundle with the key in it: only the certificates may come out.
      await writeFile(join(dir.path, 'a.pem'), a.privateKeyPem + a.certificatePem + ca.certificatePem);
      await writeFile(join(dir.path, 'b.crt'), b.certificatePem);
      await writeFile(join(dir.path, 'b.key'), b.privateKeyPem);
    },
    afterAll: () => dir.remove(),
  },
});
