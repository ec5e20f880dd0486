/**
 * Admin operations on an issuer's CA tree (issuers whose connector declares `caHierarchy`, such as
 * the local CA in `hierarchy_mode: tree`). The connector holds the CAs and their keys; the platform
 * adds the audit trail and the drain check before a CA is retired, since only the platform knows
 * which certificates are still out there.
 */
import {
  type CaNameConstraints,
  type CaNode,
  ConnectorError,
  MalformedInputError,
  UnsupportedOperationError,
} from '@certctl/core';
import { parseCertificate, splitPemBundle } from '@certctl/pki';
import type { ConnectorRuntime } from '@certctl/core';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { invalidateOcspCache } from '../crl-ocsp/ocsp.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound, ServiceError } from '../../shared/service-errors.js';

export interface CreateIntermediateInput {
  parentId?: string;
  name: string;
  commonName: string;
  organization?: string;
  keyAlgorithm?: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';
  validityDays: number;
  pathLength?: number;
  nameConstraints?: CaNameConstraints;
  issuing?: boolean;
}

/** Connector refusals are the admin's to fix (400/409), not a bad gateway. */
function asServiceError(error: unknown): unknown {
  if (MalformedInputError.isInstance(error)) return invalid(error.message);
  if (UnsupportedOperationError.isInstance(error)) return conflict(error.message);
  if (ConnectorError.isInstance(error) && !error.retryable) return conflict(error.message);
  return error;
}

async function hierarchyOf(deps: ServiceDeps, issuerId: string): Promise<ConnectorRuntime<'issuer'>> {
  const found = await deps.db.selectFrom('issuers').select('id').where('id', '=', issuerId).executeTakeFirst();
  if (!found) throw notFound('issuer', issuerId);
  const runtime = await deps.issuers.get(issuerId);
  if (!runtime.capabilities.caHierarchy || !(await runtime.supports('listCas'))) {
    throw new ServiceError(
      404,
      'not_supported',
      `issuer ${issuerId} has no CA hierarchy (its connector does not manage intermediates)`,
    );
  }
  return runtime;
}

async function attempt<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asServiceError(error);
  }
}

export async function listIntermediates(deps: ServiceDeps, issuerId: string): Promise<CaNode[]> {
  const runtime = await hierarchyOf(deps, issuerId);
  return attempt(() => runtime.listCas());
}

export async function getIntermediate(deps: ServiceDeps, issuerId: string, caId: string): Promise<CaNode> {
  const found = (await listIntermediates(deps, issuerId)).find((ca) => ca.id === caId);
  if (!found) throw notFound('CA', caId);
  return found;
}

export async function createIntermediate(
  deps: ServiceDeps,
  actor: Actor,
  issuerId: string,
  input: CreateIntermediateInput,
): Promise<CaNode> {
  const runtime = await hierarchyOf(deps, issuerId);
  const created = await attempt(() => runtime.createCa(input));
  await recordAudit(
    deps.db,
    actor,
    'create_intermediate_ca',
    { type: 'issuer', id: issuerId },
    {
      ca: created.id,
      parent: created.parentId,
      subject: created.subject,
      serial: created.serial,
      issuing: created.issuing,
    },
  );
  return created;
}

export async function setIssuingIntermediate(
  deps: ServiceDeps,
  actor: Actor,
  issuerId: string,
  caId: string,
): Promise<CaNode> {
  const runtime = await hierarchyOf(deps, issuerId);
  const node = await attempt(() => runtime.setIssuingCa(caId));
  // This replica's OCSP responder follows the new issuing CA now; other replicas within a second.
  invalidateOcspCache(deps, issuerId);
  await recordAudit(
    deps.db,
    actor,
    'set_issuing_ca',
    { type: 'issuer', id: issuerId },
    { ca: caId, subject: node.subject },
  );
  return node;
}

const normalisedPem = (pem: string): string => pem.replace(/\s+/g, '');

/** Certificate versions from this issuer, still valid and not revoked, whose chain starts at `ca`. */
async function outstandingUnder(deps: ServiceDeps, issuerId: string, ca: CaNode): Promise<number> {
  const versions = await deps.db
    .selectFrom('certificateVersions as v')
    .leftJoin('revocations as r', 'r.versionId', 'v.id')
    .select(['v.id', 'v.chainPem'])
    .where('v.issuerId', '=', issuerId)
    .where('v.notAfter', '>', deps.now())
    .where('r.id', 'is', null)
    .execute();
  const wanted = normalisedPem(ca.certificatePem);
  let count = 0;
  for (const version of versions) {
    const first = splitPemBundle(version.chainPem).find((block) => block.label === 'CERTIFICATE');
    if (first && normalisedPem(parseCertificate(first.der).pem) === wanted) count += 1;
  }
  return count;
}

export async function retireIntermediate(
  deps: ServiceDeps,
  actor: Actor,
  issuerId: string,
  caId: string,
  state: 'retiring' | 'retired',
): Promise<CaNode> {
  const runtime = await hierarchyOf(deps, issuerId);
  if (state === 'retired') {
    const ca = (await attempt(() => runtime.listCas())).find((node) => node.id === caId);
    if (!ca) throw notFound('CA', caId);
    const outstanding = await outstandingUnder(deps, issuerId, ca);
    if (outstanding > 0) {
      throw conflict(
        `CA ${caId} is still draining: ${outstanding} certificate(s) it issued are valid and not revoked; retire it once they have expired, been renewed elsewhere and revoked, or revoke them`,
        { outstanding },
      );
    }
  }
  const node = await attempt(() => runtime.retireCa({ id: caId, state }));
  await recordAudit(
    deps.db,
    actor,
    state === 'retired' ? 'retire_intermediate_ca' : 'drain_intermediate_ca',
    { type: 'issuer', id: issuerId },
    { ca: caId, state },
  );
  return node;
}
