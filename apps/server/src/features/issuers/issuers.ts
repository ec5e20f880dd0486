import { instanceRow } from '../../shared/connector-instances.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';

/** Asks the issuer to prove it can reach its CA (testConnection, else caChain, else init). */
export async function probeIssuer(deps: ServiceDeps, id: string): Promise<string> {
  const runtime = await deps.issuers.get(id);
  if (await runtime.supports('testConnection')) return (await runtime.testConnection()).detail;
  if (await runtime.supports('caChain'))
    return `CA chain of ${(await runtime.caChain()).length} certificate(s) available`;
  return 'connector initialised';
}

/** The issuing CA's chain (issuing CA first), PEM, for relying parties and `openssl verify`. */
export async function issuerCaChain(deps: ServiceDeps, id: string): Promise<string[]> {
  await instanceRow(deps, 'issuer', id);
  const runtime = await deps.issuers.get(id);
  if (!(await runtime.supports('caChain')))
    throw new ServiceError(404, 'not_supported', `issuer ${id} does not publish its CA chain`);
  return runtime.caChain();
}
