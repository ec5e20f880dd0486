import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AnyConnectorManifest,
  type ConnectorLogger,
  type ConnectorRegistry,
  type ConnectorRuntime,
  createRegistry,
  type LoadReport,
  loadInstalledConnectors,
} from '@certctl/core';
import { createConnectorContext } from '@certctl/connector-utils';

const here = dirname(fileURLToPath(import.meta.url));
/** Running from TypeScript sources (tests, dev): load workspace connectors from their sources too. */
const fromSource = import.meta.url.endsWith('.ts');

export interface TargetRegistry {
  registry: ConnectorRegistry;
  /** One runtime per target id and config; a changed config gets a fresh instance. */
  runtimeFor(targetId: string, type: string, config: Record<string, unknown>): Promise<ConnectorRuntime<'target'>>;
  stop(): Promise<void>;
}

/** The registry of target connectors this agent can deploy through; targets see the outside world only through ctx. */
export function createTargetRegistry(
  logger: ConnectorLogger,
  signal: AbortSignal,
  defaults: { backupRetention?: number } = {},
): TargetRegistry {
  const scratch: string[] = [];
  const registry = createRegistry({
    logger,
    createContext: ({ kind, id, instanceId, logger: connectorLogger }) => {
      const tmpDir = mkdtempSync(join(tmpdir(), `certctl-${kind}-${id}-`));
      scratch.push(tmpDir);
      return createConnectorContext({
        connector: `${kind}-${id}`,
        tmpDir,
        logger: connectorLogger,
        signal,
        // Targets on an agent reach the services beside it (loopback, the LAN: appliances, proxies); cloud metadata stays refused.
        network: { allowPrivate: true, allowLoopback: true },
        environment: { app: 'agent', instanceId },
      });
    },
  });
  const runtimes = new Map<string, { key: string; runtime: ConnectorRuntime<'target'> }>();
  return {
    registry,
    async runtimeFor(targetId, type, given) {
      // CERTCTL_DEPLOY_BACKUP_RETENTION: the default of targets that keep backups, unless the target sets its own.
      const config =
        defaults.backupRetention !== undefined &&
        given.backup_retention === undefined &&
        registry.has('target', type) &&
        (registry.configJsonSchema('target', type) as { properties?: Record<string, unknown> }).properties
          ?.backup_retention !== undefined
          ? { ...given, backup_retention: defaults.backupRetention }
          : given;
      const key = `${type}:${JSON.stringify(config)}`;
      const cached = runtimes.get(targetId);
      if (cached?.key === key) return cached.runtime;
      const runtime = await registry.instantiate('target', type, config, { instanceId: targetId });
      runtimes.set(targetId, { key, runtime });
      return runtime;
    },
    async stop() {
      await registry.stopAll();
      // Scratch directories go with the instances that used them.
      for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the target connectors installed next to the agent (plus CERTCTL_CONNECTORS) and any given manifests. */
export async function registerTargets(
  targets: TargetRegistry,
  options: { explicit: readonly string[]; manifests?: readonly AnyConnectorManifest[] },
): Promise<LoadReport> {
  const report = await loadInstalledConnectors(targets.registry, {
    from: here,
    explicit: options.explicit,
    kinds: ['target'],
    conditions: fromSource ? ['@certctl/source', 'node', 'import'] : ['node', 'import'],
  });
  for (const manifest of options.manifests ?? []) report.loaded.push(targets.registry.register(manifest));
  return report;
}
