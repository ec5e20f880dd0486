import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { IssuerInstance } from './issuer.js';
import { createFakeContext } from './test-support/fake-context.js';

/** Loads this core as if it implemented only contract `v2` (a future core, the app's peer copy). */
async function loadCoreSpeaking(version: string) {
  vi.resetModules();
  vi.doMock('./manifest.js', async (importOriginal) => ({
    ...(await importOriginal<typeof import('./manifest.js')>()),
    SPECIFICATION_VERSION: version,
    SUPPORTED_SPECIFICATION_VERSIONS: [version],
  }));
  const manifest = await import('./manifest.js');
  const registry = await import('./registry.js');
  const errors = await import('./errors.js');
  return { ...manifest, ...registry, ...errors };
}

afterEach(() => {
  vi.doUnmock('./manifest.js');
  vi.resetModules();
});

describe('specificationVersion', () => {
  it('a v1 connector defined through a v2 core still reports v1, and that core refuses it', async () => {
    const core = await loadCoreSpeaking('v2');
    const manifest = core.defineIssuer({
      specificationVersion: 'v1',
      id: 'old',
      displayName: 'Old',
      version: '1.0.0',
      configSchema: z.object({}),
      create: () => ({}) as IssuerInstance,
    });
    expect(manifest.specificationVersion).toBe('v1');
    const registry = core.createRegistry({ createContext: ({ logger }) => createFakeContext(logger) });
    let thrown: unknown;
    try {
      registry.register(manifest as never);
    } catch (error) {
      thrown = error;
    }
    expect(core.UnsupportedSpecificationError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/v1/);
  });

  it('defineIssuer keeps the version a connector declares instead of stamping its own', async () => {
    const core = await loadCoreSpeaking('v1');
    const manifest = core.defineIssuer({
      specificationVersion: 'v0' as 'v1',
      id: 'older',
      displayName: 'Older',
      version: '1.0.0',
      configSchema: z.object({}),
      create: () => ({}) as IssuerInstance,
    });
    expect(manifest.specificationVersion).toBe('v0');
    expect(() =>
      core.createRegistry({ createContext: ({ logger }) => createFakeContext(logger) }).register(manifest),
    ).toThrow(/specificationVersion "v0"/);
  });

  it('a manifest that declares no version is refused rather than assumed current', async () => {
    const core = await loadCoreSpeaking('v1');
    const manifest = core.defineIssuer({
      id: 'undeclared',
      displayName: 'Undeclared',
      version: '1.0.0',
      configSchema: z.object({}),
      create: () => ({}) as IssuerInstance,
    } as never);
    expect(manifest.specificationVersion).toBeUndefined();
    expect(() =>
      core.createRegistry({ createContext: ({ logger }) => createFakeContext(logger) }).register(manifest),
    ).toThrow(/specification/i);
  });
});
