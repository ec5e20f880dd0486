import type { Actor } from '../../shared/actor.js';
import {
  createInstance,
  deleteInstance,
  getInstance,
  type InstanceInput,
  type InstanceTestResult,
  type InstanceView,
  listInstances,
  listInstanceTypes,
  testInstance,
  updateInstance,
} from '../../shared/connector-instances.js';
import type { PageRequest, PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

export const listNotifiers = (deps: ServiceDeps, page: PageRequest): Promise<PageResult<InstanceView>> =>
  listInstances(deps, 'notifier', page);
export const getNotifier = (deps: ServiceDeps, id: string) => getInstance(deps, 'notifier', id);
export const createNotifier = (deps: ServiceDeps, actor: Actor, input: InstanceInput) =>
  createInstance(deps, actor, 'notifier', input);
export const updateNotifier = (
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<InstanceInput, 'id' | 'type'>>,
) => updateInstance(deps, actor, 'notifier', id, input);
export const deleteNotifier = (deps: ServiceDeps, actor: Actor, id: string) =>
  deleteInstance(deps, actor, 'notifier', id);
export const listNotifierTypes = (deps: ServiceDeps) => listInstanceTypes(deps, 'notifier');

/** Asks the notifier to prove it can reach its service (testConnection when it has one, else initialisation). */
export function testNotifier(deps: ServiceDeps, actor: Actor, id: string): Promise<InstanceTestResult> {
  return testInstance(deps, actor, 'notifier', id, async () => {
    const runtime = await deps.notifiers.get(id);
    if (await runtime.supports('testConnection')) return (await runtime.testConnection()).detail;
    await runtime.init();
    return 'connector initialised';
  });
}
