import type { ConnectorMetrics } from '@certctl/core';

/** ConnectorMetrics that records nothing: the default when an app has no metrics backend. */
export const noopMetrics: ConnectorMetrics = {
  increment() {},
  observe() {},
  set() {},
};
