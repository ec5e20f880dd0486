import { z } from 'zod';
import { bool } from '../../config/env-values.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

export interface WebConfig {
  enabled: boolean;
  /** The built dashboard (a folder with index.html and assets/); default the installed `@certctl/web` package's dist. */
  dir?: string;
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    web: WebConfig;
  }
}

/** The dashboard's variables, assembled into `config.web`. */
export const webSettings = defineFeatureSettings({
  key: 'web',
  variables: {
    CERTCTL_WEB_ENABLED: bool.default(true).describe('Serve the web dashboard at `/` on the HTTPS listener.'),
    CERTCTL_WEB_DIR: z
      .string()
      .min(1)
      .optional()
      .describe('Folder of the built dashboard (index.html, assets/); default the installed @certctl/web package.'),
  },
  build: (values) => ({ enabled: values.CERTCTL_WEB_ENABLED, dir: values.CERTCTL_WEB_DIR }),
});
