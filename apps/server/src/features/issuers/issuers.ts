import type { Actor } from '../../shared/actor.js';
import {
  createInstance,
  deleteInstance,
  getInstance,
  type InstanceInput,
  type InstanceTestResult,
  type InstanceView,
  instanceRow,
  listInstances,
  listInstanceTypes,
  testInstance,
  updateInstance,
} from '../../shared/connector-instances.js';
import type { PageRequest, PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';

export const listIssuers = (deps: ServiceDeps, page: PageRequest): Promise<PageResult<InstanceView>> =>
  listInstances(deps, 'issuer', page);
export const getIssuer = (deps: ServiceDeps, id: string) => getInstance(deps, 'issuer', id);
export const createIssuer = (deps: ServiceDeps, actor: Actor, input: InstanceInput) =>
  createInstance(deps, actor, 'issuer', input);
export const updateIssuer = (
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<InstanceInput, 'id' | 'type'>>,
) => updateInstance(deps, actor, 'issuer', id, input);
export const deleteIssuer = (deps: ServiceDeps, actor: Actor, id: string) => deleteInstance(deps, actor, 'issuer', id);
export const listIssuerTypes = (deps: ServiceDeps) => listInstanceTypes(deps, 'issuer');

/** Instantiates the issuer and asks it to prove it can reach its CA (testConnection, else caChain, else init). */
export function testIssuer(deps: ServiceDeps, actor: Actor, id: string): Promise<InstanceTestResult> {
  return testInstance(deps, actor, 'issuer', id, async () => {
    const runtime = await deps.issuers.get(id);
    if (await runtime.supports('testConnection')) return (await runtime.testConnection()).detail;
    if (await runtime.supports('caChain'))
      return `CA chain of ${(await runtime.caChain()).length} certificate(s) available`;
    return 'connector initialised';
  });
}

/** The issuing CA's chain (issuing CA first), PEM, for relying parties and `openssl verify`. */
export async function issuerCaChain(deps: ServiceDeps, id: string): Promise<string[]> {
  await instanceRow(deps, 'issuer', id);
  const runtime = await deps.issuers.get(id);
  if (!(await runtime.supports('caChain')))
    throw new ServiceError(404, 'not_supported', `issuer ${id} does not publish its CA chain`);
  return runtime.caChain();
}
