import { randomBytes } from 'node:crypto';
import type { DigestData } from './digest-html.js';
import { renderDigestHtml } from './digest-html.js';
import { dispatchNotifications } from './notification-dispatch.js';
import { enqueueNotifications } from './notification-outbox.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

const WINDOW_DAYS = 30;
const LIST_LIMIT = 200;

/** Gathers what the digest reports: expiring within 30 days, expired, failures since the last interval, agents offline. */
export async function digestData(deps: ServiceDeps, now = deps.now()): Promise<DigestData> {
  const since = new Date(now.getTime() - deps.settings.notifications.digest.intervalMs);
  const horizon = new Date(now.getTime() + WINDOW_DAYS * 86_400_000);
  const live = ['active', 'expiring', 'expired', 'renewal_in_progress', 'failed'] as const;
  const base = deps.db
    .selectFrom('certificates')
    .innerJoin('owners', 'owners.id', 'certificates.ownerId')
    .innerJoin('teams', 'teams.id', 'certificates.teamId')
    .select([
      'certificates.name',
      'certificates.commonName',
      'certificates.expiresAt',
      'owners.email as owner',
      'teams.name as team',
    ])
    .where('certificates.status', 'in', [...live])
    .where('certificates.expiresAt', 'is not', null);
  const [total, expiring, expired, jobFailures, deadLetters, agents] = await Promise.all([
    deps.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'not in', ['archived'])
      .executeTakeFirstOrThrow(),
    base
      .where('certificates.expiresAt', '>', now)
      .where('certificates.expiresAt', '<=', horizon)
      .orderBy('certificates.expiresAt')
      .limit(LIST_LIMIT)
      .execute(),
    base
      .where('certificates.expiresAt', '<=', now)
      .orderBy('certificates.expiresAt', 'desc')
      .limit(LIST_LIMIT)
      .execute(),
    deps.db
      .selectFrom('jobs')
      .innerJoin('certificates', 'certificates.id', 'jobs.certificateId')
      .select(['certificates.name', 'jobs.type', 'jobs.lastError', 'jobs.updatedAt'])
      .where('jobs.status', 'in', ['failed', 'dead'])
      .where('jobs.updatedAt', '>=', since)
      .orderBy('jobs.updatedAt', 'desc')
      .limit(LIST_LIMIT)
      .execute(),
    deps.db
      .selectFrom('notificationOutbox')
      .select(['channel', 'event', 'lastError', 'updatedAt', 'certificateId'])
      .where('status', '=', 'dead')
      .where('updatedAt', '>=', since)
      .where('event', '!=', 'digest')
      .orderBy('updatedAt', 'desc')
      .limit(LIST_LIMIT)
      .execute(),
    deps.db
      .selectFrom('agents')
      .select(['name', 'hostname', 'lastHeartbeatAt'])
      .where('status', '=', 'offline')
      .orderBy('name')
      .limit(LIST_LIMIT)
      .execute(),
  ]);
  const failures = [
    ...jobFailures.map((j) => ({
      certificate: j.name,
      kind: `${j.type} job failed`,
      error: j.lastError ?? '',
      at: j.updatedAt,
    })),
    ...deadLetters.map((d) => ({
      certificate: d.certificateId ?? '—',
      kind: `${d.channel} ${d.event} alert dead-lettered`,
      error: d.lastError ?? '',
      at: d.updatedAt,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  return {
    generatedAt: now,
    windowDays: WINDOW_DAYS,
    totals: {
      certificates: Number(total.n),
      expiringSoon: expiring.length,
      expired: expired.length,
      failures: failures.length,
      agentsOffline: agents.length,
    },
    expiring: expiring.map((c) => ({
      ...c,
      expiresAt: c.expiresAt!,
      daysLeft: Math.floor((c.expiresAt!.getTime() - now.getTime()) / 86_400_000),
    })),
    expired: expired.map((c) => ({ ...c, expiresAt: c.expiresAt! })),
    failures,
    agentsOffline: agents,
  };
}

export async function digestPreview(deps: ServiceDeps): Promise<string> {
  return renderDigestHtml(await digestData(deps));
}

function digestText(data: DigestData): string {
  const t = data.totals;
  const lines = [
    `certctl digest, ${data.generatedAt.toISOString()}`,
    `${t.certificates} certificates; ${t.expiringSoon} expiring within ${data.windowDays} days; ${t.expired} expired; ${t.failures} failures; ${t.agentsOffline} agents offline.`,
  ];
  for (const c of data.expiring)
    lines.push(`- ${c.name} (${c.commonName}) expires in ${c.daysLeft} day(s), owner ${c.owner}`);
  for (const c of data.expired)
    lines.push(`- ${c.name} (${c.commonName}) EXPIRED ${c.expiresAt.toISOString()}, owner ${c.owner}`);
  return lines.join('\n');
}

export interface DigestSendResult {
  queued: number;
  sent: number;
  failed: number;
  dead: number;
  recipients: string[];
}

/** Queues the digest to the digest channels (addressed to CERTCTL_DIGEST_RECIPIENTS, else the owners it lists) and sends it now. */
async function sendDigest(deps: ServiceDeps, dedupBase: string): Promise<DigestSendResult> {
  const data = await digestData(deps);
  const configured = deps.settings.notifications.digest.recipients;
  const recipients =
    configured.length > 0 ? configured : [...new Set([...data.expiring, ...data.expired].map((c) => c.owner))].sort();
  const rows = await enqueueNotifications(deps.db, deps, {
    dedupBase,
    channels: deps.settings.notifications.digest.channels,
    message: {
      event: 'digest',
      severity: 'informational',
      subject: `[certctl] digest: ${data.totals.expiringSoon} expiring, ${data.totals.expired} expired, ${data.totals.failures} failures`,
      text: digestText(data),
      html: renderDigestHtml(data),
      incidentKey: dedupBase,
      ...(recipients.length > 0 && { recipients }),
      occurredAt: data.generatedAt.toISOString(),
    },
  });
  const sent =
    rows.length > 0
      ? await dispatchNotifications(deps, { onlyIds: rows.map((r) => r.id) })
      : { sent: 0, failed: 0, dead: 0 };
  return { queued: rows.length, ...sent, recipients };
}

/** The scheduled digest: at most once per interval (the interval number is its dedup key), whichever replica or restart runs it. */
export function runScheduledDigest(deps: ServiceDeps): Promise<DigestSendResult> {
  const interval = deps.settings.notifications.digest.intervalMs;
  return sendDigest(deps, `digest:scheduled:${Math.floor(deps.now().getTime() / interval)}`);
}

export function sendDigestNow(deps: ServiceDeps): Promise<DigestSendResult> {
  return sendDigest(deps, `digest:manual:${deps.now().toISOString()}:${randomBytes(4).toString('hex')}`);
}
