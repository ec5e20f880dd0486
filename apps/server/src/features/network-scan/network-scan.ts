import { sql } from 'kysely';
import { Counter, Histogram } from 'prom-client';
import { newId } from '../../db/ids.js';
import type { Actor } from '../../shared/actor.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { recordServerFindings } from '../discovery/discovery.js';
import {
  type NetworkScanReport,
  networkScanTargetProblems,
  type Prober,
  runNetworkScan,
} from '@certctl/connector-utils';
import type { Executor } from '../../db/open-database.js';
import { groupMembers } from '../agent-groups/agent-groups.js';
import { activeAgent, assertAgentSelf } from '../agents/agents.js';
import type { NetworkScan, NetworkScanTarget } from './network-scan-tables.js';
import { getNetworkScanSettings, type NetworkScanSettings } from './network-scan-settings.js';

export interface ScanTargetInput {
  id?: string;
  name: string;
  cidrs: string[];
  hosts: string[];
  ports: number[];
  enabled: boolean;
  scanIntervalHours: number;
  timeoutMs: number;
  /** Who runs the scans: an agent, a member of an agent group, or (both null) the server. */
  agentId?: string | null;
  agentGroupId?: string | null;
}

/** The running scans of this process, their metrics, and the probe (a test may wrap it). */
export interface NetworkScanRuntime {
  running: Map<string, { controller: AbortController; done: Promise<void> }>;
  scansTotal: Counter<'trigger' | 'status'>;
  endpointsProbed: Counter<'outcome'>;
  scanDuration: Histogram<string>;
  probe?: Prober;
}

export function createNetworkScanRuntime(deps: ServiceDeps): NetworkScanRuntime {
  const registers = [deps.metrics.registry];
  return {
    running: new Map(),
    scansTotal: new Counter({
      name: 'certctl_network_scans_total',
      help: 'Network TLS scans finished, by trigger (manual, schedule) and status (succeeded, failed)',
      labelNames: ['trigger', 'status'] as const,
      registers,
    }),
    endpointsProbed: new Counter({
      name: 'certctl_network_scan_endpoints_total',
      help: 'Endpoints probed by network scans, by outcome (found, refused, timeout, failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    scanDuration: new Histogram({
      name: 'certctl_network_scan_duration_seconds',
      help: 'How long network scans took',
      buckets: [0.1, 0.5, 1, 5, 30, 120, 600, 1800],
      registers,
    }),
  };
}

function checkTarget(input: Pick<ScanTargetInput, 'cidrs' | 'hosts' | 'ports'>, settings: NetworkScanSettings): void {
  const problems = networkScanTargetProblems(input, settings);
  if (problems.length) throw invalid(problems.join('; '), { problems });
}

/** An agent must exist and not be retired, a group must exist, and a target names at most one of them. */
async function checkRunner(
  db: Executor,
  runner: { agentId?: string | null; agentGroupId?: string | null },
): Promise<void> {
  if (runner.agentId && runner.agentGroupId)
    throw invalid('name an agent or an agent group to run the scans, not both');
  if (runner.agentId) {
    const agent = await db
      .selectFrom('agents')
      .select(['id', 'retiredAt'])
      .where('id', '=', runner.agentId)
      .executeTakeFirst();
    if (!agent) throw invalid(`agent ${runner.agentId} does not exist`);
    if (agent.retiredAt) throw invalid(`agent ${runner.agentId} is retired`);
  }
  if (runner.agentGroupId) {
    const group = await db
      .selectFrom('agentGroups')
      .select('id')
      .where('id', '=', runner.agentGroupId)
      .executeTakeFirst();
    if (!group) throw invalid(`agent group ${runner.agentGroupId} does not exist`);
  }
}

export async function listScanTargets(deps: ServiceDeps, page: PageRequest): Promise<PageResult<NetworkScanTarget>> {
  const [data, count] = await Promise.all([
    deps.db
      .selectFrom('networkScanTargets')
      .selectAll()
      .orderBy('name')
      .orderBy('id')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    deps.db
      .selectFrom('networkScanTargets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getScanTarget(deps: Pick<ServiceDeps, 'db'>, id: string): Promise<NetworkScanTarget> {
  const row = await deps.db.selectFrom('networkScanTargets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('network scan target', id);
  return row;
}

export async function createScanTarget(
  deps: ServiceDeps,
  actor: Actor,
  input: ScanTargetInput,
): Promise<NetworkScanTarget> {
  checkTarget(input, await getNetworkScanSettings(deps.db));
  await checkRunner(deps.db, input);
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('networkScanTargets')
      .values({
        id: input.id ?? newId('networkScanTarget'),
        name: input.name,
        cidrs: JSON.stringify(input.cidrs),
        hosts: JSON.stringify(input.hosts),
        ports: JSON.stringify(input.ports),
        enabled: input.enabled,
        scanIntervalHours: input.scanIntervalHours,
        timeoutMs: input.timeoutMs,
        agentId: input.agentId ?? null,
        agentGroupId: input.agentGroupId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'network_scan_target_created',
      { type: 'network_scan_target', id: row.id },
      {
        name: row.name,
        cidrs: input.cidrs,
        hosts: input.hosts,
        ports: input.ports,
        agent_id: row.agentId,
        agent_group_id: row.agentGroupId,
      },
    );
    return row;
  });
}

export async function updateScanTarget(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  change: Partial<Omit<ScanTargetInput, 'id'>>,
): Promise<NetworkScanTarget> {
  const current = await getScanTarget(deps, id);
  checkTarget(
    {
      cidrs: change.cidrs ?? current.cidrs,
      hosts: change.hosts ?? current.hosts,
      ports: change.ports ?? current.ports,
    },
    await getNetworkScanSettings(deps.db),
  );
  // Naming one runner clears the other, so a target can move from a group to an agent in one call.
  const runner =
    change.agentId !== undefined || change.agentGroupId !== undefined
      ? {
          agentId: change.agentId !== undefined ? change.agentId : change.agentGroupId ? null : current.agentId,
          agentGroupId:
            change.agentGroupId !== undefined ? change.agentGroupId : change.agentId ? null : current.agentGroupId,
        }
      : undefined;
  if (runner) await checkRunner(deps.db, runner);
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('networkScanTargets')
      .set({
        ...(change.name !== undefined && { name: change.name }),
        ...(change.cidrs !== undefined && { cidrs: JSON.stringify(change.cidrs) }),
        ...(change.hosts !== undefined && { hosts: JSON.stringify(change.hosts) }),
        ...(change.ports !== undefined && { ports: JSON.stringify(change.ports) }),
        ...(change.enabled !== undefined && { enabled: change.enabled }),
        ...(change.scanIntervalHours !== undefined && { scanIntervalHours: change.scanIntervalHours }),
        ...(change.timeoutMs !== undefined && { timeoutMs: change.timeoutMs }),
        ...runner,
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('network scan target', id);
    await recordAudit(
      trx,
      actor,
      'network_scan_target_updated',
      { type: 'network_scan_target', id },
      {
        fields: Object.keys(change),
      },
    );
    return row;
  });
}

export async function deleteScanTarget(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  actor: Actor,
  id: string,
): Promise<void> {
  await inTransaction(deps, async (trx) => {
    const row = await trx.deleteFrom('networkScanTargets').where('id', '=', id).returning('name').executeTakeFirst();
    if (!row) throw notFound('network scan target', id);
    await recordAudit(
      trx,
      actor,
      'network_scan_target_deleted',
      { type: 'network_scan_target', id },
      { name: row.name },
    );
  });
  runtime.running.get(id)?.controller.abort();
}

export async function listScans(
  deps: ServiceDeps,
  targetId: string,
  page: PageRequest,
): Promise<PageResult<NetworkScan>> {
  await getScanTarget(deps, targetId);
  const query = deps.db.selectFrom('networkScans').where('targetId', '=', targetId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('startedAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getScan(deps: ServiceDeps, targetId: string, scanId: string): Promise<NetworkScan> {
  const row = await deps.db
    .selectFrom('networkScans')
    .selectAll()
    .where('id', '=', scanId)
    .where('targetId', '=', targetId)
    .executeTakeFirst();
  if (!row) throw notFound('network scan', scanId);
  return row;
}

/**
 * Starts a scan of the target in the background and returns its record (status `running`); one
 * scan per target at a time in this process. `scan.done` settles when it has finished.
 */
export async function startScan(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  actor: Actor,
  targetId: string,
  trigger: 'manual' | 'schedule',
): Promise<NetworkScan & { done: Promise<void> }> {
  const target = await getScanTarget(deps, targetId);
  if (runtime.running.has(targetId) || (await agentScanPending(deps.db, targetId)))
    throw conflict(`network scan target ${targetId} is being scanned already`);
  const settings = await getNetworkScanSettings(deps.db);
  // A limit lowered since the target was saved applies to the next scan.
  checkTarget(target, settings);
  const agentId = await scanningAgent(deps, target);
  const scan = await inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('networkScans')
      .values({ id: newId('networkScan'), targetId, trigger, agentId })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'network_scan_started',
      { type: 'network_scan_target', id: targetId },
      {
        scan_id: row.id,
        trigger,
        ...(agentId && { agent_id: agentId }),
      },
    );
    return row;
  });
  // An agent's scan stays `running` until that agent reports it (agentNetworkScans hands it out).
  if (agentId) return { ...scan, done: Promise.resolve() };
  const controller = new AbortController();
  const done = runScan(deps, runtime, target, settings, scan, controller.signal)
    .catch((error) => deps.logger.error({ err: error, scan: scan.id }, 'network scan failed'))
    .finally(() => runtime.running.delete(targetId));
  runtime.running.set(targetId, { controller, done });
  return { ...scan, done };
}

async function agentScanPending(db: Executor, targetId: string): Promise<boolean> {
  const row = await db
    .selectFrom('networkScans')
    .select('id')
    .where('targetId', '=', targetId)
    .where('status', '=', 'running')
    .where('agentId', 'is not', null)
    .executeTakeFirst();
  return Boolean(row);
}

/** The agent that runs this scan: the target's own, or an online member of its group (the first by name; else the first). */
async function scanningAgent(deps: ServiceDeps, target: NetworkScanTarget): Promise<string | null> {
  if (target.agentId) {
    const agentId = target.agentId;
    await activeAgent(deps, agentId).catch(() => {
      throw conflict(`agent ${agentId}, which runs this target's scans, is retired or gone`);
    });
    return agentId;
  }
  if (!target.agentGroupId) return null;
  const members = await groupMembers(deps.db, target.agentGroupId);
  const chosen = members.find((m) => m.status === 'online') ?? members[0];
  if (!chosen) throw conflict(`agent group ${target.agentGroupId} has no member to run the scan`);
  return chosen.id;
}

export interface AgentScanWork {
  scanId: string;
  targetId: string;
  cidrs: string[];
  hosts: string[];
  ports: number[];
  timeoutMs: number;
  limits: NetworkScanSettings;
}

/** The scans handed to this agent that it has not reported yet, with the guard rails it must apply. */
export async function agentNetworkScans(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
): Promise<{ scans: AgentScanWork[]; count: number }> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  const rows = await deps.db
    .selectFrom('networkScans')
    .innerJoin('networkScanTargets', 'networkScanTargets.id', 'networkScans.targetId')
    .select([
      'networkScans.id as scanId',
      'networkScans.targetId',
      'networkScanTargets.cidrs',
      'networkScanTargets.hosts',
      'networkScanTargets.ports',
      'networkScanTargets.timeoutMs',
    ])
    .where('networkScans.agentId', '=', agentId)
    .where('networkScans.status', '=', 'running')
    .orderBy('networkScans.startedAt')
    .limit(20)
    .execute();
  if (rows.length === 0) return { scans: [], count: 0 };
  await deps.db
    .updateTable('networkScans')
    .set({ handedOutAt: deps.now() })
    .where(
      'id',
      'in',
      rows.map((r) => r.scanId),
    )
    .where('handedOutAt', 'is', null)
    .execute();
  const limits = await getNetworkScanSettings(deps.db);
  return { scans: rows.map((r) => ({ ...r, limits })), count: rows.length };
}

/** An agent's report of a scan it was handed: recorded as a server-run scan's would be. */
export async function reportAgentNetworkScan(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  actor: Actor,
  agentId: string,
  scanId: string,
  report: NetworkScanReport,
): Promise<NetworkScan> {
  assertAgentSelf(actor, agentId);
  await activeAgent(deps, agentId);
  const scan = await deps.db
    .selectFrom('networkScans')
    .selectAll()
    .where('id', '=', scanId)
    .where('agentId', '=', agentId)
    .executeTakeFirst();
  if (!scan) throw notFound('network scan', scanId);
  if (scan.status !== 'running') throw conflict(`network scan ${scanId} has been recorded already (${scan.status})`);
  for (const [outcome, n] of Object.entries(report.outcomes)) runtime.endpointsProbed.inc({ outcome }, n);
  await finishScan(deps, runtime, scan, report);
  return getScan(deps, scan.targetId, scanId);
}

async function runScan(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  target: NetworkScanTarget,
  settings: NetworkScanSettings,
  scan: NetworkScan,
  signal: AbortSignal,
): Promise<void> {
  const report = await runNetworkScan(target, settings, {
    signal,
    probe: runtime.probe,
    onResult: (result) => runtime.endpointsProbed.inc({ outcome: result.outcome }),
  });
  await finishScan(deps, runtime, scan, report);
}

/** Records a finished scan (the server's or an agent's): findings into triage, the scan row, the target's last-scan facts. */
async function finishScan(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  scan: NetworkScan,
  report: NetworkScanReport,
): Promise<void> {
  const status = report.aborted ? 'failed' : 'succeeded';
  const findings = report.findings.map((f) => ({ sourcePath: f.endpoint, certificatePem: f.certificatePem }));
  await inTransaction(deps, async (trx) => {
    const stillThere = await trx
      .selectFrom('networkScanTargets')
      .select('id')
      .where('id', '=', scan.targetId)
      .forUpdate()
      .executeTakeFirst();
    if (!stillThere) return;
    const recorded = await recordServerFindings(deps, trx, 'network', findings);
    await trx
      .updateTable('networkScans')
      .set({
        status,
        finishedAt: deps.now(),
        durationMs: report.durationMs,
        endpointsProbed: report.endpointsProbed,
        certificatesFound: findings.length - recorded.rejected.length,
        newCertificates: recorded.created,
        outcomes: JSON.stringify(report.outcomes),
        skipped: JSON.stringify(report.skipped),
        errors: JSON.stringify([
          ...report.errors,
          ...recorded.rejected.map((r) => ({ endpoint: r.path, error: r.error })),
        ]),
        summary: report.summary,
      })
      .where('id', '=', scan.id)
      .execute();
    await trx
      .updateTable('networkScanTargets')
      .set({ lastScanAt: deps.now(), lastScanDurationMs: report.durationMs, lastScanCertsFound: findings.length })
      .where('id', '=', scan.targetId)
      .execute();
    await recordAudit(
      trx,
      SYSTEM_ACTOR,
      'network_scan_completed',
      { type: 'network_scan_target', id: scan.targetId },
      {
        scan_id: scan.id,
        status,
        endpoints_probed: report.endpointsProbed,
        found: findings.length,
        created: recorded.created,
        ...(scan.agentId && { agent_id: scan.agentId }),
      },
    );
  });
  runtime.scansTotal.inc({ trigger: scan.trigger, status });
  runtime.scanDuration.observe(report.durationMs / 1000);
}

/**
 * The scheduler's pass: scans every enabled target whose interval has elapsed, one after another,
 * and waits for them (an agent's scan is handed out and reported later). Scans that were running when a process died stay `running`: they are marked
 * failed here once they are older than a day.
 */
export async function runDueScans(deps: ServiceDeps, runtime: NetworkScanRuntime): Promise<number> {
  const now = deps.now();
  await deps.db
    .updateTable('networkScans')
    .set({ status: 'failed', summary: 'the server stopped before the scan finished', finishedAt: now })
    .where('status', '=', 'running')
    .where('startedAt', '<', new Date(now.getTime() - 86_400_000))
    .execute();
  const due = await deps.db
    .selectFrom('networkScanTargets')
    .select('id')
    .where('enabled', '=', true)
    .where((eb) =>
      eb.or([
        eb('lastScanAt', 'is', null),
        eb('lastScanAt', '<=', sql<Date>`${now}::timestamptz - make_interval(hours => scan_interval_hours)`),
      ]),
    )
    .orderBy('id')
    .execute();
  let ran = 0;
  for (const { id } of due) {
    if (runtime.running.has(id) || (await agentScanPending(deps.db, id))) continue;
    const scan = await startScan(deps, runtime, SYSTEM_ACTOR, id, 'schedule');
    await scan.done;
    ran++;
  }
  return ran;
}
