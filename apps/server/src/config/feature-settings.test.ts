import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { durationMs } from './env-values.js';
import { ConfigError, type AnyFeatureSettings, loadConfig, serverFeatureSettings } from './index.js';

/** A feature that is not part of the server: its settings reach the config through the loader alone. */
const probeSettings: AnyFeatureSettings = {
  key: 'probe' as never,
  variables: {
    CERTCTL_PROBE_INTERVAL: durationMs.default(60_000).describe('How often to probe.'),
    CERTCTL_PROBE_TARGETS: z.string().optional().describe('What to probe.'),
  },
  build: (values: { CERTCTL_PROBE_INTERVAL: number; CERTCTL_PROBE_TARGETS?: string }) => ({
    intervalMs: values.CERTCTL_PROBE_INTERVAL,
    targets: values.CERTCTL_PROBE_TARGETS?.split(',') ?? [],
  }),
};

describe('feature settings', () => {
  const featureSettings = [...serverFeatureSettings(), probeSettings];

  it('a feature declares variables and receives its parsed config under its key', () => {
    const config = loadConfig({ CERTCTL_PROBE_INTERVAL: '5m', CERTCTL_PROBE_TARGETS: 'a,b' }, { featureSettings });
    expect((config as unknown as Record<string, unknown>).probe).toEqual({ intervalMs: 300_000, targets: ['a', 'b'] });
    const defaults = loadConfig({ CERTCTL_PROBE_TARGETS: '' }, { featureSettings });
    expect((defaults as unknown as Record<string, unknown>).probe).toEqual({ intervalMs: 60_000, targets: [] });
  });

  it('a malformed value of a feature names its variable; without the feature the name is unknown', () => {
    expect(() => loadConfig({ CERTCTL_PROBE_INTERVAL: 'often' }, { featureSettings })).toThrow(
      /^CERTCTL_PROBE_INTERVAL: expected a duration/,
    );
    expect(() => loadConfig({ CERTCTL_PROBE_INTERVAL: '5m' })).toThrow(ConfigError);
  });

  it('every feature of the server with settings is read by default', () => {
    expect(serverFeatureSettings().map((settings) => settings.key)).toEqual(
      expect.arrayContaining(['notifications', 'acmeServer', 'est', 'scep']),
    );
  });
});
