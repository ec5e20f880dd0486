import type { ServiceDeps } from '../../shared/service-deps.js';

/** Asks the notifier to prove it can reach its service (testConnection when it has one, else initialisation). */
export async function probeNotifier(deps: ServiceDeps, id: string): Promise<string> {
  const runtime = await deps.notifiers.get(id);
  if (await runtime.supports('testConnection')) return (await runtime.testConnection()).detail;
  await runtime.init();
  return 'connector initialised';
}
