import { positiveInt } from '../../config/env-values.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

export interface CloudDiscoveryConfig {
  /** Runs kept per discovery source; older ones are deleted after each run. */
  runsKept: number;
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    cloudDiscovery: CloudDiscoveryConfig;
  }
}

export const cloudDiscoverySettings = defineFeatureSettings({
  key: 'cloudDiscovery',
  variables: {
    CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT: positiveInt
      .default(200)
      .describe(
        'Scan runs kept per discovery source (GET /api/v1/discovery-sources/{id}/runs); older runs are deleted.',
      ),
  },
  build: (values) => ({ runsKept: values.CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT }),
});
