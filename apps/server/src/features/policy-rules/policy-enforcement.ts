import type { ParsedCsr } from '@certctl/pki';
import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { AlertSeverity, Certificate, CertificateProfile } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';
import { withAfterRollback } from '../../shared/transaction.js';
import { notifyCertificateEvent } from '../certificates/certificate-events.js';
import { channelsForSeverity } from '../notifications/alert-routing.js';
import { enqueueNotifications } from '../notifications/notification-outbox.js';
import {
  blockedReason,
  evaluateRules,
  keyFamilyOf,
  type PolicyFinding,
  type PolicySubject,
} from './policy-evaluation.js';
import type { PolicyRule, PolicySeverity, PolicyViolation } from './policy-rule-tables.js';

/** An issuance refused by an enforcing rule: 422 `policy_violation` on the API, each protocol's refusal elsewhere. */
export class PolicyBlockedError extends ServiceError {
  constructor(
    message: string,
    readonly findings: readonly { rule_id: string; message: string }[],
  ) {
    super(422, 'policy_violation', message, { violations: findings });
    this.name = 'PolicyBlockedError';
  }
}

const ALERT_SEVERITY: Record<PolicySeverity, AlertSeverity> = {
  warning: 'warning',
  error: 'critical',
  critical: 'critical',
};

export function enabledRules(db: Executor): Promise<PolicyRule[]> {
  return db.selectFrom('policyRules').selectAll().where('enabled', '=', true).orderBy('name').execute();
}

type CertificateFacts = Pick<
  Certificate,
  'id' | 'commonName' | 'sans' | 'issuerId' | 'environment' | 'ownerId' | 'teamId' | 'tags' | 'renewalPolicyId'
>;

export const namesOf = (certificate: Pick<Certificate, 'commonName' | 'sans'>) => [
  ...new Set([certificate.commonName, ...certificate.sans]),
];

function certificateSubject(certificate: CertificateFacts): PolicySubject {
  return {
    names: namesOf(certificate),
    issuerId: certificate.issuerId,
    environment: certificate.environment,
    ownerId: certificate.ownerId,
    teamId: certificate.teamId,
    tags: certificate.tags,
  };
}

/** Where a sighting is recorded: which subject, for which alert routing. */
export interface SightingTarget {
  subjectKey: string;
  certificateId: string | null;
  names: string[];
  source: string;
  renewalPolicyId?: string;
  ownerId?: string;
}

/**
 * Upserts one violation per finding (one row per rule and subject, counted), and audits and alerts
 * the ones that are new or came back after being resolved: a violation is announced once, however
 * often it is seen again.
 */
async function recordSightings(
  db: Executor,
  deps: ServiceDeps,
  actor: Actor,
  target: SightingTarget,
  findings: readonly PolicyFinding[],
  blocked: boolean,
): Promise<PolicyViolation[]> {
  const now = deps.now();
  const recorded: PolicyViolation[] = [];
  for (const finding of findings) {
    const blocking = blocked && finding.rule.enforcement === 'enforcing';
    const row = await db
      .insertInto('policyViolations')
      .values({
        id: newId('policyViolation'),
        ruleId: finding.rule.id,
        subjectKey: target.subjectKey,
        certificateId: target.certificateId,
        names: JSON.stringify(target.names),
        source: target.source,
        severity: finding.rule.severity,
        enforcement: finding.rule.enforcement,
        blocked: blocking,
        message: finding.message,
        lastSeenAt: now,
        details: JSON.stringify({ actor: actor.name }),
      })
      .onConflict((oc) =>
        oc.columns(['ruleId', 'subjectKey']).doUpdateSet({
          certificateId: target.certificateId,
          names: JSON.stringify(target.names),
          source: target.source,
          severity: finding.rule.severity,
          enforcement: finding.rule.enforcement,
          blocked: blocking,
          message: finding.message,
          lastSeenAt: now,
          occurrences: sql<number>`policy_violations.occurrences + 1`,
          alertedAt: sql<Date | null>`CASE WHEN policy_violations.status = 'resolved' THEN NULL ELSE policy_violations.alerted_at END`,
          status: 'open',
          resolvedAt: null,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    if (!row.alertedAt) {
      await recordAudit(
        db,
        actor,
        'policy_violation_detected',
        { type: 'policy_violation', id: row.id },
        {
          rule_id: row.ruleId,
          certificate_id: row.certificateId,
          names: target.names,
          source: target.source,
          severity: row.severity,
          enforcement: row.enforcement,
          blocked: blocking,
          message: row.message,
        },
      );
      await alertViolation(db, deps, row, target);
      await db.updateTable('policyViolations').set({ alertedAt: now }).where('id', '=', row.id).execute();
      recorded.push({ ...row, alertedAt: now });
    } else recorded.push(row);
  }
  return recorded;
}

/** A `policy_violation` alert through the certificate's (or, with none left, the enrolment's) renewal policy routing. */
async function alertViolation(
  db: Executor,
  deps: ServiceDeps,
  violation: PolicyViolation,
  target: SightingTarget,
): Promise<void> {
  const severity = ALERT_SEVERITY[violation.severity];
  if (violation.certificateId) {
    await notifyCertificateEvent(db, deps, {
      certificateId: violation.certificateId,
      event: 'policy_violation',
      occurrence: violation.id,
      detail: violation.message,
      severity,
    });
    return;
  }
  const policy = target.renewalPolicyId
    ? await db
        .selectFrom('renewalPolicies')
        .select('alertChannels')
        .where('id', '=', target.renewalPolicyId)
        .executeTakeFirst()
    : undefined;
  const owner = target.ownerId
    ? await db.selectFrom('owners').select('email').where('id', '=', target.ownerId).executeTakeFirst()
    : undefined;
  const subjectName = target.names[0] ?? '(no name)';
  await enqueueNotifications(db, deps, {
    dedupBase: `policy_violation:${violation.id}`,
    channels: channelsForSeverity(policy, severity),
    message: {
      event: 'policy_violation',
      severity,
      subject: `[certctl] ${subjectName}: policy violation`,
      text: `A request for ${target.names.join(', ')} (${target.source}): ${violation.message}.`,
      incidentKey: `certctl-policy_violation-${violation.id}`,
      ...(owner && { recipients: [owner.email] }),
      occurredAt: deps.now().toISOString(),
    },
  });
}

async function resolveOthers(
  db: Executor,
  deps: ServiceDeps,
  subjectKeys: readonly string[],
  stillBroken: readonly string[],
): Promise<void> {
  if (subjectKeys.length === 0) return;
  let query = db
    .updateTable('policyViolations')
    .set({ status: 'resolved', resolvedAt: deps.now() })
    .where('subjectKey', 'in', subjectKeys)
    .where('status', '=', 'open');
  if (stillBroken.length > 0) query = query.where('ruleId', 'not in', stillBroken);
  await query.execute();
}

export interface IssuanceCheck {
  certificate: CertificateFacts;
  /** The CSR the certificate will be issued for, when there is one yet. */
  csr?: ParsedCsr;
  profile?: CertificateProfile;
  /** The trigger of the request (`acme`, `csr_submitted`, `est_simpleenroll`, `scep_pkcsreq`, `manual` ...). */
  source: string;
}

/**
 * The policy gate of every issuance: enforcing rules the request breaks refuse it with one reason
 * (recorded, audited and alerted after the caller's transaction rolls back); advisory ones are
 * recorded with it. A request that passes resolves the issuance violations it had before.
 */
export async function enforceIssuancePolicies(
  trx: Executor,
  deps: ServiceDeps,
  actor: Actor,
  check: IssuanceCheck,
): Promise<void> {
  const rules = await enabledRules(trx);
  if (rules.length === 0) return;
  const subject: PolicySubject = {
    ...certificateSubject(check.certificate),
    ...(check.csr && { key: { family: keyFamilyOf(check.csr.publicKey.type), bits: check.csr.publicKey.bits } }),
    ...(check.profile?.maxTtlSeconds && { validitySeconds: check.profile.maxTtlSeconds }),
  };
  const findings = evaluateRules(rules, subject);
  const names = subject.names;
  const byCertificate: SightingTarget = {
    subjectKey: `issuance:${check.certificate.id}`,
    certificateId: check.certificate.id,
    names,
    source: check.source,
    renewalPolicyId: check.certificate.renewalPolicyId,
    ownerId: check.certificate.ownerId,
  };
  if (findings.some((f) => f.rule.enforcement === 'enforcing'))
    throw refusal(deps, actor, findings, async (db) => {
      // The refused request may have been the one creating its certificate (a protocol enrolment): then the names are the subject.
      const kept = await db
        .selectFrom('certificates')
        .select('id')
        .where('id', '=', check.certificate.id)
        .executeTakeFirst();
      return kept
        ? byCertificate
        : { ...byCertificate, certificateId: null, subjectKey: namesSubjectKey('issuance', names) };
    });
  if (findings.length > 0) await recordSightings(trx, deps, actor, byCertificate, findings, false);
  // Only a request with its key was judged by every rule: then what it no longer breaks is resolved.
  if (check.csr)
    await resolveOthers(
      trx,
      deps,
      [byCertificate.subjectKey],
      findings.map((f) => f.rule.id),
    );
}

const nameKey = (names: readonly string[]) =>
  [...names]
    .map((n) => n.toLowerCase())
    .sort()
    .join(',');

/**
 * The error that refuses a request some enforcing rule forbids, carrying the recording of every
 * finding (and an `issuance_blocked_by_policy` audit event), done once the caller's transaction
 * has rolled back.
 */
export function refusal(
  deps: ServiceDeps,
  actor: Actor,
  findings: readonly PolicyFinding[],
  target: (db: Executor) => Promise<SightingTarget>,
): PolicyBlockedError {
  const enforcing = findings.filter((f) => f.rule.enforcement === 'enforcing');
  const reason = blockedReason(enforcing);
  const error = new PolicyBlockedError(
    reason,
    enforcing.map((f) => ({ rule_id: f.rule.id, message: f.message })),
  );
  return withAfterRollback(error, async (db) => {
    try {
      const where = await target(db);
      await db.transaction().execute(async (t) => {
        await recordSightings(t, deps, actor, where, findings, true);
        await recordAudit(
          t,
          actor,
          'issuance_blocked_by_policy',
          where.certificateId ? { type: 'certificate', id: where.certificateId } : { type: 'enrollment' },
          { names: where.names, source: where.source, reason, rule_ids: enforcing.map((f) => f.rule.id) },
        );
      });
    } catch (failure) {
      deps.logger.error(
        { error: failure instanceof Error ? failure.message : String(failure), reason },
        'a refused request could not be recorded as a policy violation',
      );
    }
  });
}

/**
 * Checks a certificate that already exists somewhere (a CA import, a discovered certificate being
 * claimed) before it is brought under management. Returns every finding; the caller refuses (or
 * skips) on an enforcing one and records them.
 */
export async function checkExistingCertificate(
  db: Executor,
  facts: {
    certificate: Omit<CertificateFacts, 'id'>;
    key: { algorithm: string; bits: number | null };
    notBefore: Date;
    notAfter: Date;
  },
): Promise<PolicyFinding[]> {
  const rules = await enabledRules(db);
  if (rules.length === 0) return [];
  const subject: PolicySubject = {
    names: namesOf(facts.certificate),
    issuerId: facts.certificate.issuerId,
    environment: facts.certificate.environment,
    ownerId: facts.certificate.ownerId,
    teamId: facts.certificate.teamId,
    tags: facts.certificate.tags,
    ...(facts.key.bits && { key: { family: keyFamilyOf(facts.key.algorithm), bits: facts.key.bits } }),
    validitySeconds: (facts.notAfter.getTime() - facts.notBefore.getTime()) / 1000,
  };
  return evaluateRules(rules, subject);
}

/** Records findings against a subject the caller names (a kept or skipped import); `blocked` when enforcing ones refused it. */
export function recordFindings(
  db: Executor,
  deps: ServiceDeps,
  actor: Actor,
  target: SightingTarget,
  findings: readonly PolicyFinding[],
  blocked = false,
): Promise<PolicyViolation[]> {
  return recordSightings(db, deps, actor, target, findings, blocked);
}

/** The subject key of a request that left no certificate behind: its source and names. */
export const namesSubjectKey = (prefix: string, names: readonly string[]) => `${prefix}:names:${nameKey(names)}`;

export interface InventoryEvaluation {
  evaluated: number;
  open: number;
  newlyDetected: number;
  resolved: number;
}

/**
 * The scheduled evaluation: every live certificate's current version against the enabled rules.
 * Violations found are recorded (alerted once), those no longer found are resolved.
 */
export async function evaluateInventory(deps: ServiceDeps): Promise<InventoryEvaluation> {
  const rules = await enabledRules(deps.db);
  const result: InventoryEvaluation = { evaluated: 0, open: 0, newlyDetected: 0, resolved: 0 };
  let after = '';
  for (;;) {
    const batch = await deps.db
      .selectFrom('certificates')
      .leftJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
      .select([
        'certificates.id',
        'certificates.commonName',
        'certificates.sans',
        'certificates.issuerId',
        'certificates.environment',
        'certificates.ownerId',
        'certificates.teamId',
        'certificates.tags',
        'certificates.renewalPolicyId',
        'certificateVersions.keyAlgorithm',
        'certificateVersions.keySize',
        'certificateVersions.notBefore',
        'certificateVersions.notAfter',
      ])
      .where('certificates.status', 'not in', ['archived', 'revoked'])
      .where('certificates.id', '>', after)
      .orderBy('certificates.id')
      .limit(200)
      .execute();
    if (batch.length === 0) break;
    after = batch.at(-1)!.id;
    await deps.db.transaction().execute(async (trx) => {
      for (const certificate of batch) {
        result.evaluated++;
        const subject: PolicySubject = {
          ...certificateSubject(certificate),
          ...(certificate.keyAlgorithm &&
            certificate.keySize && {
              key: { family: keyFamilyOf(certificate.keyAlgorithm), bits: certificate.keySize },
            }),
          ...(certificate.notBefore &&
            certificate.notAfter && {
              validitySeconds: (certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 1000,
            }),
        };
        const findings = evaluateRules(rules, subject);
        const subjectKey = `inventory:${certificate.id}`;
        const before = findings.length
          ? await trx
              .selectFrom('policyViolations')
              .select('ruleId')
              .where('subjectKey', '=', subjectKey)
              .where('status', '=', 'open')
              .execute()
          : [];
        const recorded = await recordSightings(
          trx,
          deps,
          { name: 'system', type: 'system', role: 'system' },
          {
            subjectKey,
            certificateId: certificate.id,
            names: subject.names,
            source: 'inventory',
            renewalPolicyId: certificate.renewalPolicyId,
          },
          findings,
          false,
        );
        result.open += recorded.length;
        result.newlyDetected += recorded.filter((r) => !before.some((b) => b.ruleId === r.ruleId)).length;
        const resolved = await trx
          .updateTable('policyViolations')
          .set({ status: 'resolved', resolvedAt: deps.now() })
          .where('subjectKey', '=', subjectKey)
          .where('status', '=', 'open')
          .$if(findings.length > 0, (qb) =>
            qb.where(
              'ruleId',
              'not in',
              findings.map((f) => f.rule.id),
            ),
          )
          .executeTakeFirst();
        result.resolved += Number(resolved.numUpdatedRows);
      }
    });
  }
  // Certificates archived or revoked since, and rules disabled since: nothing of theirs stays open.
  const stale = await deps.db
    .updateTable('policyViolations')
    .set({ status: 'resolved', resolvedAt: deps.now() })
    .where('status', '=', 'open')
    .where((eb) =>
      eb.or([
        eb('ruleId', 'in', eb.selectFrom('policyRules').select('id').where('enabled', '=', false)),
        eb.and([
          eb('subjectKey', 'like', 'inventory:%'),
          eb(
            'certificateId',
            'in',
            eb.selectFrom('certificates').select('id').where('status', 'in', ['archived', 'revoked']),
          ),
        ]),
      ]),
    )
    .executeTakeFirst();
  result.resolved += Number(stale.numUpdatedRows);
  if (result.newlyDetected > 0 || result.resolved > 0)
    deps.logger.info({ ...result }, 'policy evaluation over the inventory');
  return result;
}
