import type { AnyConnectorManifest, ConnectorLogger } from '@certctl/core';
import { createConsoleJsonLogger } from '@certctl/connector-utils';
import type { AgentConfig } from './agent-config.js';
import { type CertctlAgentOptions, createCertctlAgent } from './certctl-agent.js';
import { ensurePrivateDir } from './private-files.js';
import { createTargetRegistry, registerTargets } from './target-registry.js';

export const AGENT_VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

export interface StartAgentOptions extends Pick<CertctlAgentOptions, 'afterStep' | 'random' | 'sleep'> {
  logger?: ConnectorLogger;
  /** Extra target connectors (tests register theirs here). */
  manifests?: readonly AnyConnectorManifest[];
  /** Aborts every target instance's ctx.signal when the agent stops. */
  signal?: AbortSignal;
}

/** Composes an agent: JSON logger, private state and key dirs, the installed target connectors. */
export async function startAgent(config: AgentConfig, options: StartAgentOptions = {}) {
  const logger =
    options.logger ??
    (config.logLevel === 'silent'
      ? silent
      : createConsoleJsonLogger({ level: config.logLevel, bindings: { app: 'certctl-agent' } }));
  await ensurePrivateDir(config.stateDir);
  await ensurePrivateDir(config.keyDir);
  const shutdown = new AbortController();
  options.signal?.addEventListener('abort', () => shutdown.abort(options.signal?.reason), { once: true });
  const targets = createTargetRegistry(logger, shutdown.signal, { backupRetention: config.deployBackupRetention });
  const report = await registerTargets(targets, { explicit: config.connectors, manifests: options.manifests });
  for (const failed of report.failed)
    logger.error({ package: failed.packageName, error: failed.error }, 'target connector could not be loaded');
  logger.info(
    { version: AGENT_VERSION, server: config.serverUrl.href, targets: report.loaded.map((c) => c.id) },
    'certctl-agent starting',
  );
  const agent = createCertctlAgent({
    config,
    logger,
    targets,
    version: AGENT_VERSION,
    afterStep: options.afterStep,
    random: options.random,
    sleep: options.sleep,
  });
  return {
    agent: {
      ...agent,
      async close() {
        shutdown.abort(new Error('agent stopped'));
        await agent.close();
      },
    },
    logger,
  };
}
