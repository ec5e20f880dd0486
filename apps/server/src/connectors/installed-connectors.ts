import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectorRegistry, type LoadReport, loadInstalledConnectors } from '@certctl/core';

const here = dirname(fileURLToPath(import.meta.url));
/** Running from TypeScript sources (tests, dev): load workspace connectors from their sources too. */
const fromSource = import.meta.url.endsWith('.ts');

/**
 * Registers every issuer, notifier and discovery connector installed next to the server (the
 * first-party ones are its dependencies: @certctl/issuer-local, ...) plus CERTCTL_CONNECTORS.
 * Targets run on agents, not here.
 */
export async function registerInstalledConnectors(
  registry: ConnectorRegistry,
  explicit: readonly string[],
): Promise<LoadReport> {
  return loadInstalledConnectors(registry, {
    from: here,
    explicit,
    kinds: ['issuer', 'notifier', 'discovery'],
    conditions: fromSource ? ['@certctl/source', 'node', 'import'] : ['node', 'import'],
  });
}

/** Every `CERTCTL_*` name some registered connector reads from the environment. */
export function connectorEnvironmentVariables(registry: ConnectorRegistry): string[] {
  return registry.list().flatMap((entry) => Object.keys(entry.manifest?.env ?? {}));
}
