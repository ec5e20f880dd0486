import type { ConnectorSecretStore } from '@certctl/core';

/** A ConnectorSecretStore kept in memory: the default for tests and one-shot tools, lost on exit. */
export function createMemorySecretStore(
  initial: Record<string, string> = {},
): ConnectorSecretStore & { entries(): Record<string, string> } {
  const values = new Map(Object.entries(initial));
  return {
    async get(name) {
      return values.get(name);
    },
    async set(name, value) {
      values.set(name, value);
    },
    async delete(name) {
      values.delete(name);
    },
    entries: () => Object.fromEntries(values),
  };
}
