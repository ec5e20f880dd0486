import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget } from '../src/index.js';
import manifest from './fixtures/example-target/index.js';

let dir: TempDir;
const marker = () => join(dir.path, 'fail-next');

testTarget(manifest, {
  config: () => ({
    dir: join(dir.path, 'live'),
    // Fails once when the marker exists, like a reload command rejecting the new certificate.
    post_deploy_command: ['/bin/sh', '-c', 'if [ -e "$1" ]; then rm -f "$1"; exit 1; fi', 'post-deploy', marker()],
  }),
  invalidConfigs: [{ config: { dir: '/tmp/x', post_deploy_command: [] }, path: 'post_deploy_command' }],
  hooks: {
    beforeAll: async () => {
      dir = await createTempDir();
    },
    afterAll: () => dir.remove(),
    failNextDeploy: () => writeFile(marker(), ''),
    snapshot: async () => {
      const live = join(dir.path, 'live');
      const names = (await readdir(live).catch(() => [] as string[])).sort();
      return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(live, n), 'utf8')])));
    },
  },
});
