import { Counter } from 'prom-client';
import { createInstanceRuntimes, type InstanceRuntimes } from '../../connectors/instance-runtimes.js';
import type { Actor } from '../../shared/actor.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import {
  createInstance,
  deleteInstance,
  getInstance,
  type InstanceInput,
  type InstanceView,
  listInstances,
  listInstanceTypes,
  updateInstance,
} from '../../shared/connector-instances.js';
import { newId } from '../../db/ids.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { Executor } from '../../db/open-database.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { recordServerFindings, type ServerFinding } from '../discovery/discovery.js';
import type { DiscoverySourceRow, DiscoverySourceRun } from './cloud-discovery-tables.js';

/** Findings a single scan may hand to triage; the connector's own max_secrets usually stops it first. */
const MAX_FINDINGS_PER_SCAN = 100_000;

export interface CloudDiscoveryRuntime {
  sources: InstanceRuntimes<'discovery'>;
  running: Set<string>;
  scansTotal: Counter<'type' | 'status'>;
  findingsTotal: Counter<'type'>;
  /** Runs kept per source (CERTCTL_DISCOVERY_SOURCE_RUNS_KEPT). */
  runsKept: number;
}

export function createCloudDiscoveryRuntime(deps: ServiceDeps, options: { runsKept: number }): CloudDiscoveryRuntime {
  const registers = [deps.metrics.registry];
  return {
    runsKept: options.runsKept,
    sources: createInstanceRuntimes('discovery', deps.db, deps.registry, deps.cipher),
    running: new Set(),
    scansTotal: new Counter({
      name: 'certctl_discovery_source_scans_total',
      help: 'Scans of configured discovery sources, by connector type and status (succeeded, failed)',
      labelNames: ['type', 'status'] as const,
      registers,
    }),
    findingsTotal: new Counter({
      name: 'certctl_discovery_source_certificates_total',
      help: 'Certificates reported by discovery source scans, by connector type',
      labelNames: ['type'] as const,
      registers,
    }),
  };
}

/** The instance view (the row spread, secrets redacted): it carries the schedule columns too. */
export type DiscoverySourceView = InstanceView &
  Pick<
    DiscoverySourceRow,
    'scanIntervalMinutes' | 'lastScanAt' | 'lastScanStatus' | 'lastScanFound' | 'lastScanCreated' | 'lastScanError'
  >;

export const listDiscoverySources = (deps: ServiceDeps, page: PageRequest) =>
  listInstances(deps, 'discovery', page) as Promise<PageResult<DiscoverySourceView>>;
export const getDiscoverySource = (deps: ServiceDeps, id: string) =>
  getInstance(deps, 'discovery', id) as Promise<DiscoverySourceView>;
export const listDiscoverySourceTypes = (deps: ServiceDeps) => listInstanceTypes(deps, 'discovery');

async function setInterval(deps: ServiceDeps, id: string, minutes: number | undefined): Promise<void> {
  if (minutes === undefined) return;
  await deps.db.updateTable('discoverySources').set({ scanIntervalMinutes: minutes }).where('id', '=', id).execute();
}

export async function createDiscoverySource(
  deps: ServiceDeps,
  actor: Actor,
  input: InstanceInput & { scanIntervalMinutes?: number },
): Promise<DiscoverySourceView> {
  const { scanIntervalMinutes, ...instance } = input;
  const created = await createInstance(deps, actor, 'discovery', instance);
  await setInterval(deps, created.id, scanIntervalMinutes);
  return getDiscoverySource(deps, created.id);
}

export async function updateDiscoverySource(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<InstanceInput, 'id' | 'type'>> & { scanIntervalMinutes?: number },
): Promise<DiscoverySourceView> {
  const { scanIntervalMinutes, ...instance } = input;
  if (Object.keys(instance).length > 0) await updateInstance(deps, actor, 'discovery', id, instance);
  else await getDiscoverySource(deps, id);
  await setInterval(deps, id, scanIntervalMinutes);
  return getDiscoverySource(deps, id);
}

export async function deleteDiscoverySource(
  deps: ServiceDeps,
  runtime: CloudDiscoveryRuntime,
  actor: Actor,
  id: string,
): Promise<void> {
  await deleteInstance(deps, actor, 'discovery', id);
  await runtime.sources.invalidate(id);
}

export interface DiscoverySourceScanResult {
  sourceId: string;
  runId: string;
  status: 'succeeded' | 'failed';
  found: number;
  created: number;
  rejected: { path: string; error: string }[];
  error: string | null;
  durationMs: number;
}

/**
 * Runs the source's connector once and feeds what it reports into the discovery triage (source
 * `cloud`, deduplicated by fingerprint + location). A failing connector marks the source failed
 * with the connector's message; nothing it reported before failing is lost.
 */
export async function scanDiscoverySource(
  deps: ServiceDeps,
  runtime: CloudDiscoveryRuntime,
  actor: Actor,
  id: string,
  trigger: 'manual' | 'schedule' = 'manual',
): Promise<DiscoverySourceScanResult> {
  const row = await deps.db.selectFrom('discoverySources').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('discovery source', id);
  if (runtime.running.has(id)) throw conflict(`discovery source ${id} is being scanned already`);
  runtime.running.add(id);
  let run: { id: string };
  try {
    run = await deps.db
      .insertInto('discoverySourceRuns')
      .values({ id: newId('discoverySourceRun'), sourceId: id, trigger })
      .returning('id')
      .executeTakeFirstOrThrow();
  } catch (error) {
    runtime.running.delete(id);
    throw error;
  }
  const started = Date.now();
  const findings: ServerFinding[] = [];
  let error: string | null = null;
  try {
    const connector = await runtime.sources.get(id);
    for await (const item of connector.scan(AbortSignal.timeout(1_800_000))) {
      const pem =
        typeof item.certificate === 'string'
          ? item.certificate
          : `-----BEGIN CERTIFICATE-----\n${Buffer.from(item.certificate)
              .toString('base64')
              .match(/.{1,64}/g)
              ?.join('\n')}\n-----END CERTIFICATE-----\n`;
      findings.push({ sourcePath: item.location, certificatePem: pem });
      if (findings.length >= MAX_FINDINGS_PER_SCAN) break;
    }
  } catch (caught) {
    error = (caught instanceof Error ? caught.message : String(caught)).slice(0, 2000);
  } finally {
    runtime.running.delete(id);
  }
  const status = error ? 'failed' : 'succeeded';
  const durationMs = Date.now() - started;
  const recorded = await inTransaction(deps, async (trx) => {
    const result = await recordServerFindings(deps, trx, 'cloud', findings);
    await trx
      .updateTable('discoverySources')
      .set({
        lastScanAt: deps.now(),
        lastScanStatus: status,
        lastScanFound: findings.length - result.rejected.length,
        lastScanCreated: result.created,
        lastScanError: error,
      })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('discoverySourceRuns')
      .set({
        status,
        finishedAt: deps.now(),
        durationMs,
        found: findings.length - result.rejected.length,
        newCertificates: result.created,
        errors: JSON.stringify(result.rejected.slice(0, 1000)),
        error,
      })
      .where('id', '=', run.id)
      .execute();
    await pruneRuns(trx, id, runtime.runsKept);
    await recordAudit(
      trx,
      actor,
      'discovery_source_scanned',
      { type: 'discovery_source', id },
      {
        status,
        found: findings.length,
        created: result.created,
        duration_ms: durationMs,
        run_id: run.id,
      },
    );
    return result;
  });
  runtime.scansTotal.inc({ type: row.type, status });
  runtime.findingsTotal.inc({ type: row.type }, findings.length - recorded.rejected.length);
  return {
    sourceId: id,
    runId: run.id,
    status,
    found: findings.length - recorded.rejected.length,
    created: recorded.created,
    rejected: recorded.rejected,
    error,
    durationMs,
  };
}

/** Deletes the source's runs beyond the newest `kept` (a run still going is never deleted). */
async function pruneRuns(trx: Executor, sourceId: string, kept: number): Promise<void> {
  const newest = trx
    .selectFrom('discoverySourceRuns')
    .select('id')
    .where('sourceId', '=', sourceId)
    .orderBy('startedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(kept);
  await trx
    .deleteFrom('discoverySourceRuns')
    .where('sourceId', '=', sourceId)
    .where('status', '!=', 'running')
    .where('id', 'not in', newest)
    .execute();
}

/** A source's scan runs, newest first. */
export async function listDiscoverySourceRuns(
  deps: ServiceDeps,
  sourceId: string,
  page: PageRequest,
): Promise<PageResult<DiscoverySourceRun>> {
  await getDiscoverySource(deps, sourceId);
  const query = deps.db.selectFrom('discoverySourceRuns').where('sourceId', '=', sourceId);
  const [data, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('startedAt', 'desc')
      .orderBy('id', 'desc')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

/** The scheduler's pass: every enabled source whose interval has passed, one after another. */
export async function runDueDiscoverySources(deps: ServiceDeps, runtime: CloudDiscoveryRuntime): Promise<number> {
  const now = deps.now().getTime();
  const sources = await deps.db
    .selectFrom('discoverySources')
    .select(['id', 'type', 'lastScanAt', 'scanIntervalMinutes'])
    .where('enabled', '=', true)
    .orderBy('id')
    .execute();
  let ran = 0;
  for (const source of sources) {
    if (source.lastScanAt && source.lastScanAt.getTime() + source.scanIntervalMinutes * 60_000 > now) continue;
    if (!deps.registry.has('discovery', source.type) || runtime.running.has(source.id)) continue;
    await scanDiscoverySource(deps, runtime, SYSTEM_ACTOR, source.id, 'schedule');
    ran++;
  }
  return ran;
}
