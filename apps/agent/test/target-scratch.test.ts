import { existsSync } from 'node:fs';
import { defineTarget } from '@certctl/core';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { createTargetRegistry } from '../src/target-registry.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

it("removes each target instance's scratch directory when the agent stops its targets", async () => {
  const seen: string[] = [];
  const targets = createTargetRegistry(silent as never, new AbortController().signal);
  targets.registry.register(
    defineTarget({
      specificationVersion: 'v1',
      id: 'scratchy',
      displayName: 'Scratchy',
      version: '1.0.0',
      configSchema: z.object({}),
      create: (_config, ctx) => {
        seen.push(ctx.tmpDir);
        return {
          deploy: async () => ({ changed: true, detail: 'written' }),
          validateDeployment: async () => ({ valid: true, detail: 'ok' }),
        };
      },
    }),
  );
  const runtime = await targets.runtimeFor('tgt-1', 'scratchy', {});
  await runtime.deploy({
    certPem: 'cert',
    chainPem: '',
    keyPem: 'key',
    serial: '01',
    fingerprintSha256: 'ab',
    metadata: {},
  });
  expect(seen).toHaveLength(1);
  expect(existsSync(seen[0]!)).toBe(true);
  await targets.stop();
  expect(existsSync(seen[0]!)).toBe(false);
});
