import {
  type AnyConnectorManifest,
  type ConnectorContext,
  ConnectorUnavailableError,
  createRegistry,
} from '@certctl/core';
import { describeError, type Finding, FindingList } from './findings.js';

export interface CheckLifecycleOptions {
  config: unknown;
  context: ConnectorContext;
}

function countCalls(instance: Record<string, unknown>, method: string, counter: { n: number }): void {
  const fn = instance[method];
  if (typeof fn !== 'function' || Object.isFrozen(instance)) return;
  try {
    instance[method] = async (...args: unknown[]) => {
      counter.n++;
      return (fn as (...a: unknown[]) => unknown).apply(instance, args);
    };
  } catch {
    // A sealed instance cannot be instrumented; its counts stay unobserved.
  }
}

/**
 * Runs an instance through the core registry's runtime: concurrent first calls create and start it
 * once; `stop()` twice stops it once; calls after stop fail with ConnectorUnavailableError.
 */
export async function checkLifecycle(
  manifest: AnyConnectorManifest,
  options: CheckLifecycleOptions,
): Promise<Finding[]> {
  const f = new FindingList();
  const creates = { n: 0 };
  const starts = { n: 0 };
  const stops = { n: 0 };
  const counting = {
    ...manifest,
    create: async (config: unknown, ctx: ConnectorContext) => {
      creates.n++;
      const instance = (await manifest.create(config as never, ctx)) as unknown as Record<string, unknown>;
      if (instance && typeof instance === 'object') {
        countCalls(instance, 'start', starts);
        countCalls(instance, 'stop', stops);
      }
      return instance;
    },
  } as unknown as AnyConnectorManifest;
  const registry = createRegistry({ createContext: ({ logger }) => ({ ...options.context, logger }) });
  registry.register(counting);
  const runtime = await registry.instantiate(manifest.kind, manifest.id, options.config, { instanceId: 'lifecycle' });
  try {
    await Promise.all([runtime.init(), runtime.init(), runtime.supports('testConnection')]);
  } catch (error) {
    f.add('lifecycle.init', `the instance failed to initialise: ${describeError(error)}`);
    return f.items;
  }
  f.check(
    creates.n === 1,
    'lifecycle.init',
    `create() ran ${creates.n} times for three concurrent first calls; expected once`,
  );
  f.check(starts.n <= 1, 'lifecycle.init', `start() ran ${starts.n} times; expected at most once`);
  try {
    await runtime.stop();
    await runtime.stop();
  } catch (error) {
    f.add('lifecycle.stop', `stop() threw: ${describeError(error)}`);
  }
  f.check(
    stops.n <= 1,
    'lifecycle.stop',
    `the instance's stop() ran ${stops.n} times for two runtime stops; expected at most once`,
  );
  try {
    await runtime.init();
    f.add('lifecycle.stop', 'the runtime initialised again after stop(); expected ConnectorUnavailableError');
  } catch (error) {
    f.check(
      ConnectorUnavailableError.isInstance(error),
      'lifecycle.stop',
      `a call after stop() failed with ${describeError(error)}, expected ConnectorUnavailableError`,
    );
  }
  await registry.stopAll();
  return f.items;
}
