import { probeTlsEndpoint, type TlsEndpointObservation } from '@certctl/connector-utils';
import type { AlertSeverity } from '../../db/tables.js';
import { sql } from 'kysely';
import { Counter } from 'prom-client';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { Actor } from '../../shared/actor.js';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { certificateFacts, certificateOfMessage } from '../certificates/certificate-facts.js';
import { channelsForSeverity } from '../notifications/alert-routing.js';
import { enqueueNotifications } from '../notifications/notification-outbox.js';
import type { EndpointHealthCheck, EndpointHealthHistory, HealthStatus, StartTls } from './health-check-tables.js';
import {
  type CheckVerdict,
  type ExpectedCertificate,
  judgeObservation,
  nextHealthState,
  UNHEALTHY,
} from './health-state.js';

/** How long history rows are kept. */
export const HISTORY_RETENTION_MS = 30 * 86_400_000;
/** Checks run at once by the scheduler pass. */
const CONCURRENCY = 20;

export interface HealthCheckInput {
  id?: string;
  name: string;
  endpoint: string;
  serverName?: string | null;
  starttls?: StartTls | null;
  certificateId?: string | null;
  expectedFingerprint?: string | null;
  enabled?: boolean;
  checkIntervalSeconds?: number;
  degradedThreshold?: number;
  downThreshold?: number;
}

export type Probe = (options: Parameters<typeof probeTlsEndpoint>[0]) => Promise<TlsEndpointObservation>;

export interface HealthRuntime {
  checksTotal: Counter<'status'>;
  transitionsTotal: Counter<'to'>;
  probe: Probe;
  timeoutMs: number;
}

export function createHealthRuntime(deps: ServiceDeps): HealthRuntime {
  const registers = [deps.metrics.registry];
  return {
    checksTotal: new Counter({
      name: 'certctl_health_checks_run_total',
      help: 'Endpoint health checks run, by resulting status',
      labelNames: ['status'] as const,
      registers,
    }),
    transitionsTotal: new Counter({
      name: 'certctl_health_check_transitions_total',
      help: 'Endpoint health status changes, by new status',
      labelNames: ['to'] as const,
      registers,
    }),
    probe: probeTlsEndpoint,
    timeoutMs: 5000,
  };
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const split = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, split).replace(/^\[|\]$/g, ''), port: Number(endpoint.slice(split + 1)) };
}

function checkThresholds(input: { degradedThreshold: number; downThreshold: number }): void {
  if (input.downThreshold < input.degradedThreshold)
    throw invalid(
      `down_threshold (${input.downThreshold}) must be at least degraded_threshold (${input.degradedThreshold})`,
    );
}

export async function listHealthChecks(
  deps: ServiceDeps,
  filters: { status?: HealthStatus; certificateId?: string },
  page: PageRequest,
): Promise<PageResult<EndpointHealthCheck>> {
  let query = deps.db.selectFrom('endpointHealthChecks');
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.certificateId) query = query.where('certificateId', '=', filters.certificateId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('name').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getHealthCheck(db: Executor, id: string): Promise<EndpointHealthCheck> {
  const row = await db.selectFrom('endpointHealthChecks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('health check', id);
  return row;
}

export function createHealthCheck(
  deps: ServiceDeps,
  actor: Actor,
  input: HealthCheckInput,
): Promise<EndpointHealthCheck> {
  checkThresholds({ degradedThreshold: input.degradedThreshold ?? 2, downThreshold: input.downThreshold ?? 5 });
  return inTransaction(deps, async (trx) => {
    if (input.certificateId) {
      const exists = await trx
        .selectFrom('certificates')
        .select('id')
        .where('id', '=', input.certificateId)
        .executeTakeFirst();
      if (!exists) throw notFound('certificate', input.certificateId);
    }
    const row = await trx
      .insertInto('endpointHealthChecks')
      .values({
        id: input.id ?? newId('healthCheck'),
        name: input.name,
        endpoint: input.endpoint,
        serverName: input.serverName ?? null,
        starttls: input.starttls ?? null,
        certificateId: input.certificateId ?? null,
        expectedFingerprint: input.expectedFingerprint?.toLowerCase().replaceAll(':', '') ?? null,
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        ...(input.checkIntervalSeconds !== undefined && { checkIntervalSeconds: input.checkIntervalSeconds }),
        ...(input.degradedThreshold !== undefined && { degradedThreshold: input.degradedThreshold }),
        ...(input.downThreshold !== undefined && { downThreshold: input.downThreshold }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'health_check_created',
      { type: 'health_check', id: row.id },
      {
        endpoint: row.endpoint,
        certificate_id: row.certificateId,
      },
    );
    return row;
  });
}

export async function updateHealthCheck(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  change: Partial<Omit<HealthCheckInput, 'id'>>,
): Promise<EndpointHealthCheck> {
  const current = await getHealthCheck(deps.db, id);
  checkThresholds({
    degradedThreshold: change.degradedThreshold ?? current.degradedThreshold,
    downThreshold: change.downThreshold ?? current.downThreshold,
  });
  return inTransaction(deps, async (trx) => {
    const { expectedFingerprint, ...rest } = change;
    const row = await trx
      .updateTable('endpointHealthChecks')
      .set({
        ...rest,
        ...(expectedFingerprint !== undefined && {
          expectedFingerprint: expectedFingerprint?.toLowerCase().replaceAll(':', '') ?? null,
        }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('health check', id);
    await recordAudit(
      trx,
      actor,
      'health_check_updated',
      { type: 'health_check', id },
      { fields: Object.keys(change) },
    );
    return row;
  });
}

export function deleteHealthCheck(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .deleteFrom('endpointHealthChecks')
      .where('id', '=', id)
      .returning('endpoint')
      .executeTakeFirst();
    if (!row) throw notFound('health check', id);
    await recordAudit(trx, actor, 'health_check_deleted', { type: 'health_check', id }, { endpoint: row.endpoint });
  });
}

/** Marks the current problem as seen by a person; the next transition clears it. */
export function acknowledgeHealthCheck(deps: ServiceDeps, actor: Actor, id: string): Promise<EndpointHealthCheck> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('endpointHealthChecks')
      .set({ acknowledged: true, acknowledgedBy: actor.name, acknowledgedAt: deps.now(), updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('health check', id);
    await recordAudit(trx, actor, 'health_check_acknowledged', { type: 'health_check', id }, { status: row.status });
    return row;
  });
}

export async function healthHistory(
  deps: ServiceDeps,
  id: string,
  page: PageRequest,
): Promise<PageResult<EndpointHealthHistory>> {
  await getHealthCheck(deps.db, id);
  const query = deps.db.selectFrom('endpointHealthHistory').where('checkId', '=', id);
  const [data, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('checkedAt', 'desc')
      .orderBy('id', 'desc')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function healthSummary(deps: ServiceDeps) {
  const rows = await deps.db
    .selectFrom('endpointHealthChecks')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const count = (status: HealthStatus) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return {
    unknown: count('unknown'),
    healthy: count('healthy'),
    degraded: count('degraded'),
    down: count('down'),
    certMismatch: count('cert_mismatch'),
    total: rows.reduce((sum, r) => sum + Number(r.n), 0),
  };
}

async function expectedFor(db: Executor, check: EndpointHealthCheck): Promise<ExpectedCertificate | undefined> {
  if (check.certificateId) {
    const version = await db
      .selectFrom('certificates')
      .innerJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
      .select(['certificateVersions.fingerprintSha256', 'certificateVersions.serial', 'certificateVersions.chainPem'])
      .where('certificates.id', '=', check.certificateId)
      .executeTakeFirst();
    if (version) return { fingerprint: version.fingerprintSha256, serial: version.serial, chainPem: version.chainPem };
  }
  return check.expectedFingerprint ? { fingerprint: check.expectedFingerprint } : undefined;
}

/** Probes one endpoint now and records the outcome (state, history, alerts). */
export async function runHealthCheck(
  deps: ServiceDeps,
  runtime: HealthRuntime,
  id: string,
): Promise<EndpointHealthCheck> {
  const check = await getHealthCheck(deps.db, id);
  const expected = await expectedFor(deps.db, check);
  const started = Date.now();
  let verdict: CheckVerdict;
  let observation: TlsEndpointObservation | undefined;
  try {
    observation = await runtime.probe({
      ...splitEndpoint(check.endpoint),
      servername: check.serverName ?? undefined,
      starttls: check.starttls ?? undefined,
      timeoutMs: runtime.timeoutMs,
      connector: 'health-check',
    });
    verdict = await judgeObservation(observation, expected, deps.now());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    verdict = {
      kind: 'failure',
      problems: [message.replace(/^\[certctl\] (\[[^\]]+\] )?/, '')],
      observedFingerprint: null,
      observedSerial: null,
    };
  }
  return recordVerdict(deps, runtime, check, verdict, observation, Date.now() - started);
}

function recordVerdict(
  deps: ServiceDeps,
  runtime: HealthRuntime,
  check: EndpointHealthCheck,
  verdict: CheckVerdict,
  observation: TlsEndpointObservation | undefined,
  latencyMs: number,
): Promise<EndpointHealthCheck> {
  return inTransaction(deps, async (trx) => {
    const current = await trx
      .selectFrom('endpointHealthChecks')
      .selectAll()
      .where('id', '=', check.id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('health check', check.id);
    const next = nextHealthState(current, verdict.kind, current);
    const now = deps.now();
    const changed = next.status !== current.status;
    let incidentKey = current.incidentKey;
    if (UNHEALTHY.has(next.status) && !incidentKey) {
      incidentKey = `certctl-health-${current.id}-${now.getTime()}`;
      await alert(trx, deps, current, 'send', incidentKey, next.status, verdict.problems, now);
    } else if (incidentKey && severityOf(next.status) > severityOf(current.status)) {
      // Worse than what was alerted (degraded → down): the same incident again at the higher severity.
      await alert(trx, deps, current, 'send', incidentKey, next.status, verdict.problems, now);
    } else if (next.status === 'healthy' && incidentKey) {
      await alert(trx, deps, current, 'resolve', incidentKey, next.status, [], now);
      incidentKey = null;
    }
    const row = await trx
      .updateTable('endpointHealthChecks')
      .set({
        status: next.status,
        consecutiveFailures: next.consecutiveFailures,
        observedFingerprint: verdict.observedFingerprint ?? current.observedFingerprint,
        observedSerial: verdict.observedSerial ?? current.observedSerial,
        tlsVersion: observation?.protocol ?? current.tlsVersion,
        cipher: observation?.cipher ?? current.cipher,
        problems: JSON.stringify(verdict.problems),
        lastCheckedAt: now,
        nextCheckAt: new Date(now.getTime() + current.checkIntervalSeconds * 1000),
        incidentKey,
        ...(changed && { statusChangedAt: now, acknowledged: false, acknowledgedBy: null, acknowledgedAt: null }),
        updatedAt: now,
      })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('endpointHealthHistory')
      .values({
        id: newId('healthHistory'),
        checkId: current.id,
        status: next.status,
        observedFingerprint: verdict.observedFingerprint,
        observedSerial: verdict.observedSerial,
        tlsVersion: observation?.protocol ?? null,
        problems: JSON.stringify(verdict.problems),
        latencyMs: Math.max(0, Math.round(latencyMs)),
      })
      .execute();
    if (changed) {
      runtime.transitionsTotal.inc({ to: next.status });
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        'health_check_status_transition',
        { type: 'health_check', id: current.id },
        {
          from: current.status,
          to: next.status,
          problems: verdict.problems,
        },
      );
    }
    runtime.checksTotal.inc({ status: next.status });
    return row;
  });
}

/** How bad a status is for alerting: 0 healthy or unknown, 1 degraded (warning), 2 down or cert_mismatch (critical). */
function severityOf(status: HealthStatus): number {
  return status === 'degraded' ? 1 : UNHEALTHY.has(status) ? 2 : 0;
}

/**
 * Opens (`send`) or closes (`resolve`) the check's incident through the alert routing of its
 * certificate's policy (the default matrix without one). Resolves go only to channels whose
 * notifiers can close incidents (PagerDuty, OpsGenie, webhook).
 */
async function alert(
  trx: Executor,
  deps: ServiceDeps,
  check: EndpointHealthCheck,
  action: 'send' | 'resolve',
  incidentKey: string,
  status: HealthStatus,
  problems: string[],
  now: Date,
): Promise<void> {
  const facts = check.certificateId ? await certificateFacts(trx, check.certificateId) : undefined;
  const policy = facts
    ? await trx
        .selectFrom('renewalPolicies')
        .select(['alertChannels'])
        .where('id', '=', facts.renewalPolicyId)
        .executeTakeFirst()
    : undefined;
  const severity: AlertSeverity = status === 'degraded' ? 'warning' : 'critical';
  let channels = channelsForSeverity(policy, action === 'resolve' ? 'critical' : severity);
  if (action === 'resolve') {
    const resolvable = new Set(
      deps.registry
        .list('notifier')
        .filter((e) => (e.capabilities as { resolve?: boolean } | undefined)?.resolve)
        .map((e) => e.id),
    );
    channels = [...new Set([...channelsForSeverity(policy, 'warning'), ...channels])].filter((c) =>
      resolvable.has(c.toLowerCase()),
    );
  }
  const what = `${check.name} (${check.endpoint})`;
  await enqueueNotifications(trx, deps, {
    // One alert per incident and severity (an escalation is a second one), one resolve per incident.
    dedupBase: action === 'send' ? `health:${incidentKey}:send:${severity}` : `health:${incidentKey}:resolve`,
    action,
    channels,
    ...(facts && { certificateId: facts.id, versionId: facts.versionId ?? undefined }),
    message: {
      event: 'endpoint_unhealthy',
      severity,
      subject:
        action === 'send' ? `[certctl] ${what} is ${status.replace('_', ' ')}` : `[certctl] ${what} is healthy again`,
      text:
        action === 'send'
          ? `Endpoint health check ${what} turned ${status}: ${problems.join('; ')}`
          : `Endpoint health check ${what} is healthy again.`,
      ...(facts && { certificate: certificateOfMessage(facts, now), recipients: [facts.ownerEmail] }),
      incidentKey,
      occurredAt: now.toISOString(),
    },
  });
}

/**
 * Creates a health check for every deployment that succeeded with a verified endpoint and has none
 * yet (one per certificate and endpoint).
 */
export async function createChecksForVerifiedDeployments(deps: ServiceDeps): Promise<number> {
  const rows = await deps.db
    .selectFrom('jobs')
    .innerJoin('certificates', 'certificates.id', 'jobs.certificateId')
    .leftJoin('targets', 'targets.id', 'jobs.targetId')
    .select([
      'jobs.certificateId',
      'certificates.name',
      sql<string>`jobs.verification->>'endpoint'`.as('endpoint'),
      // The name the agent verified with (SNI), so the check asks the endpoint the same way.
      sql<string | null>`targets.config->'post_deploy_verify'->>'server_name'`.as('serverName'),
    ])
    .where('jobs.type', '=', 'deployment')
    .where('jobs.status', '=', 'succeeded')
    .where(sql<boolean>`(jobs.verification->>'verified') = 'true'`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('endpointHealthChecks')
            .select('endpointHealthChecks.id')
            .whereRef('endpointHealthChecks.certificateId', '=', 'jobs.certificateId')
            .where(sql<boolean>`endpoint_health_checks.endpoint = jobs.verification->>'endpoint'`),
        ),
      ),
    )
    .distinct()
    .execute();
  let created = 0;
  for (const row of rows) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(row.endpoint)) continue;
    const inserted = await deps.db
      .insertInto('endpointHealthChecks')
      .values({
        id: newId('healthCheck'),
        name: `${row.name} at ${row.endpoint}`,
        endpoint: row.endpoint,
        serverName: row.serverName && row.serverName.length <= 253 ? row.serverName : null,
        certificateId: row.certificateId,
        source: 'deployment',
      })
      .onConflict((oc) => oc.columns(['endpoint', 'certificateId']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) created++;
  }
  return created;
}

/** The scheduler's pass: checks what is due (20 at a time), prunes old history, adopts verified deployments. */
export async function runDueHealthChecks(deps: ServiceDeps, runtime: HealthRuntime): Promise<number> {
  await createChecksForVerifiedDeployments(deps);
  const now = deps.now();
  await deps.db
    .deleteFrom('endpointHealthHistory')
    .where('checkedAt', '<', new Date(now.getTime() - HISTORY_RETENTION_MS))
    .execute();
  const due = await deps.db
    .selectFrom('endpointHealthChecks')
    .select('id')
    .where('enabled', '=', true)
    .where('nextCheckAt', '<=', now)
    .orderBy('nextCheckAt')
    .execute();
  let index = 0;
  const worker = async () => {
    while (index < due.length) {
      const { id } = due[index++]!;
      try {
        await runHealthCheck(deps, runtime, id);
      } catch (error) {
        deps.logger.error({ err: error, check: id }, 'health check failed to run');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, worker));
  return due.length;
}
