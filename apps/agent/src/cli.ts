#!/usr/bin/env node
import { AgentConfigError, loadAgentConfig } from './agent-config.js';
import { AgentStoppedError } from './certctl-agent.js';
import { AGENT_VERSION, startAgent } from './start-agent.js';

const USAGE = `usage: certctl-agent [--once] [--help] [--version]

  --once      run one cycle (register, heartbeat, poll and deploy, discovery) and exit
              0 when it succeeded, 1 when it did not
  --version   print the agent's version and exit

Configuration comes from the environment (see docs/agent.md): CERTCTL_SERVER_URL,
CERTCTL_AGENT_BOOTSTRAP_TOKEN, CERTCTL_SERVER_CA_FILE, CERTCTL_AGENT_STATE_DIR, CERTCTL_KEY_DIR,
CERTCTL_DISCOVERY_DIRS, ...`;

async function main(argv: string[]): Promise<number> {
  const args = new Set(argv);
  if (args.has('--help') || args.has('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.has('--version') || args.has('-v')) {
    process.stdout.write(`certctl-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  const unknown = [...args].filter((a) => a !== '--once');
  if (unknown.length) {
    process.stderr.write(`certctl-agent: unknown argument ${unknown[0]}\n${USAGE}\n`);
    return 2;
  }
  const config = loadAgentConfig(process.env);
  const { agent, logger } = await startAgent(config);
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) return;
    logger.info(
      { signal, grace_ms: config.shutdownGraceMs },
      'stopping: finishing the job in hand, taking no new work',
    );
    stop.abort(new Error(signal));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  try {
    if (args.has('--once')) {
      await agent.runOnce(stop.signal);
      logger.info('cycle complete');
      return 0;
    }
    const outcome = await agent.run(stop.signal);
    logger.info({ outcome }, 'agent stopped');
    return 0;
  } catch (error) {
    logger.error(
      { error: error instanceof Error ? error.message : String(error) },
      error instanceof AgentStoppedError ? 'agent stopping' : 'cycle failed',
    );
    return 1;
  } finally {
    await agent.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const text =
      error instanceof AgentConfigError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`certctl-agent: ${text}\n`);
    process.exit(1);
  },
);
