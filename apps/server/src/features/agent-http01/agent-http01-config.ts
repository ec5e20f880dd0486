import { durationMs } from '../../config/env-values.js';
import { defineFeatureSettings } from '../../config/feature-settings.js';

export interface AgentHttp01Config {
  /** How long an agent has to serve an order's HTTP-01 tokens before the job fails. */
  timeoutMs: number;
}

declare module '../../config/feature-settings.js' {
  interface FeatureConfigs {
    agentHttp01: AgentHttp01Config;
  }
}

export const agentHttp01Settings = defineFeatureSettings({
  key: 'agentHttp01',
  variables: {
    CERTCTL_AGENT_HTTP01_TIMEOUT: durationMs
      .default(900_000)
      .describe(
        'How long the agent of an ACME certificate (issuer with http_served_by agent) has to serve its HTTP-01 tokens before the job fails.',
      ),
  },
  build: (values) => ({ timeoutMs: values.CERTCTL_AGENT_HTTP01_TIMEOUT }),
});
