import { createTestContext } from '@certctl/connector-testkit';
import { parseConfig } from '@certctl/core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type CasSetup, setUpCas } from './test-support/cas-setup.js';

let setup: CasSetup;
const loaded = new Set<string>();

beforeAll(async () => {
  setup = await setUpCas();
  for (const name of ['@google-cloud/security-private-ca', 'google-auth-library']) {
    vi.doMock(name, async (importOriginal) => {
      loaded.add(name);
      return importOriginal();
    });
  }
});
afterAll(() => setup?.close());

it("loads Google's client library only when the issuer first calls CAS, and google-auth-library not at all with a key file", async () => {
  const { default: manifest } = await import('./index.js');
  const ctx = await createTestContext();
  const issuer = await manifest.create(parseConfig(manifest.configSchema, setup.config()), ctx);
  expect([...loaded]).toEqual([]);
  expect(await issuer.caChain!()).toHaveLength(1);
  expect([...loaded]).toEqual(['@google-cloud/security-private-ca']);
  await ctx.cleanup();
});
