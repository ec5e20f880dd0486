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
import type { NetworkScan, NetworkScanOutcomes, NetworkScanTarget } from './network-scan-tables.js';
import { getNetworkScanSettings, type NetworkScanSettings } from './network-scan-settings.js';
import { cidrProblem, planScan, type Prober, probeEndpoints, type ScanEndpoint } from './network-scanner.js';

export interface ScanTargetInput {
  id?: string;
  name: string;
  cidrs: string[];
  hosts: string[];
  ports: number[];
  enabled: boolean;
  scanIntervalHours: number;
  timeoutMs: number;
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
  const problems = input.cidrs.flatMap((cidr) => cidrProblem(cidr, settings.maxAddressesPerCidr) ?? []);
  if (input.cidrs.length + input.hosts.length === 0) problems.push('give at least one CIDR or host name');
  if (problems.length) throw invalid(problems.join('; '), { problems });
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
  if (runtime.running.has(targetId)) throw conflict(`network scan target ${targetId} is being scanned already`);
  const settings = await getNetworkScanSettings(deps.db);
  // A limit lowered since the target was saved applies to the next scan.
  checkTarget(target, settings);
  const scan = await inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('networkScans')
      .values({ id: newId('networkScan'), targetId, trigger })
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
      },
    );
    return row;
  });
  const controller = new AbortController();
  const done = runScan(deps, runtime, target, settings, scan, controller.signal)
    .catch((error) => deps.logger.error({ err: error, scan: scan.id }, 'network scan failed'))
    .finally(() => runtime.running.delete(targetId));
  runtime.running.set(targetId, { controller, done });
  return { ...scan, done };
}

function describeRange(endpoints: readonly ScanEndpoint[]): string {
  const hosts = [...new Set(endpoints.map((e) => e.servername ?? e.address))];
  const ports = [...new Set(endpoints.map((e) => e.port))];
  const shown = hosts.length > 4 ? `${hosts.slice(0, 3).join(', ')} … ${hosts.at(-1)}` : hosts.join(', ');
  return `${hosts.length} address${hosts.length === 1 ? '' : 'es'} (${shown}) × port${ports.length === 1 ? '' : 's'} ${ports.join(', ')}`;
}

async function runScan(
  deps: ServiceDeps,
  runtime: NetworkScanRuntime,
  target: NetworkScanTarget,
  settings: NetworkScanSettings,
  scan: NetworkScan,
  signal: AbortSignal,
): Promise<void> {
  const started = Date.now();
  const plan = await planScan(target, settings);
  const results = await probeEndpoints(plan.endpoints, {
    concurrency: settings.concurrency,
    ratePerSecond: settings.ratePerSecond,
    timeoutMs: target.timeoutMs,
    signal,
    probe: runtime.probe,
  });
  const outcomes: NetworkScanOutcomes = { found: 0, refused: 0, timeout: 0, failed: 0 };
  for (const result of results) {
    outcomes[result.outcome]++;
    runtime.endpointsProbed.inc({ outcome: result.outcome });
  }
  const findings = results.flatMap((r) =>
    r.certificateDer ? [{ sourcePath: r.endpoint.label, certificatePem: toPem(r.certificateDer) }] : [],
  );
  const errors = results
    .filter((r) => r.outcome === 'failed' || r.outcome === 'timeout')
    .slice(0, 100)
    .map((r) => ({ endpoint: r.endpoint.label, error: r.error ?? r.outcome }));
  const durationMs = Date.now() - started;
  const aborted = signal.aborted;
  const status = aborted ? 'failed' : 'succeeded';
  const tried =
    plan.endpoints.length > 0
      ? `probed ${plan.endpoints.length} endpoints: ${describeRange(plan.endpoints)}`
      : 'probed no endpoint';
  const skippedText = plan.skipped.map((s) => `${s.count} skipped (${s.reason}: ${s.examples.join(', ')})`).join('; ');
  const outcomeText = (Object.entries(outcomes) as [string, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const summary = [
    aborted ? 'cancelled' : outcomes.found > 0 ? `found ${outcomes.found} certificates` : 'found no certificate',
    tried,
    outcomeText && `outcomes: ${outcomeText}`,
    skippedText,
  ]
    .filter(Boolean)
    .join('; ');
  await inTransaction(deps, async (trx) => {
    const stillThere = await trx
      .selectFrom('networkScanTargets')
      .select('id')
      .where('id', '=', target.id)
      .forUpdate()
      .executeTakeFirst();
    if (!stillThere) return;
    const recorded = await recordServerFindings(deps, trx, 'network', findings);
    await trx
      .updateTable('networkScans')
      .set({
        status,
        finishedAt: deps.now(),
        durationMs,
        endpointsProbed: results.length,
        certificatesFound: findings.length - recorded.rejected.length,
        newCertificates: recorded.created,
        outcomes: JSON.stringify(outcomes),
        skipped: JSON.stringify(plan.skipped),
        errors: JSON.stringify([...errors, ...recorded.rejected.map((r) => ({ endpoint: r.path, error: r.error }))]),
        summary,
      })
      .where('id', '=', scan.id)
      .execute();
    await trx
      .updateTable('networkScanTargets')
      .set({ lastScanAt: deps.now(), lastScanDurationMs: durationMs, lastScanCertsFound: findings.length })
      .where('id', '=', target.id)
      .execute();
    await recordAudit(
      trx,
      SYSTEM_ACTOR,
      'network_scan_completed',
      { type: 'network_scan_target', id: target.id },
      { scan_id: scan.id, status, endpoints_probed: results.length, found: findings.length, created: recorded.created },
    );
  });
  runtime.scansTotal.inc({ trigger: scan.trigger, status });
  runtime.scanDuration.observe(durationMs / 1000);
}

function toPem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The scheduler's pass: scans every enabled target whose interval has elapsed, one after another,
 * and waits for them. Scans that were running when a process died stay `running`: they are marked
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
    if (runtime.running.has(id)) continue;
    const scan = await startScan(deps, runtime, SYSTEM_ACTOR, id, 'schedule');
    await scan.done;
    ran++;
  }
  return ran;
}
