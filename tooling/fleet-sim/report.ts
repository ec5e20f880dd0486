/** What a simulation run measured, against the goals of issue 25, as JSON and as readable text. */
import type { Fault, Scenario } from './scenario.ts';
import type { PageRecord } from './sim-pager.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface FaultWindow {
  fault: Fault;
  start: number;
  end: number;
  applied: boolean;
  done: boolean;
  /** Certificates a renew-now batch named. */
  affected?: string[];
}

export interface StepSample {
  at: number;
  renewals: number;
  deploys: number;
  caRefusals: number;
  deployFailures: number;
  pages: number;
  resolves: number;
  caCalls: number;
}

interface CertOutcome {
  id: string;
  className: string;
  issuer: string;
  agent: number;
  target: number;
  lifetimeMs: number;
  minRemainingMs: number;
  servedNotAfter?: number;
}

export interface ReportInput {
  scenario: Scenario;
  t0: number;
  end: number;
  wallSeconds: number;
  certs: CertOutcome[];
  renewals: { certificateId: string; className: string; leadFraction: number; at: number }[];
  samples: StepSample[];
  pages: PageRecord[];
  resolved: Map<string, Date>;
  faults: FaultWindow[];
  caCalls: Record<string, { issue: number; ari: number; refused: number }>;
  statuses: Record<string, number>;
  jobs: { type: string; status: string; count: number }[];
  killed: { at: number; jobs: number; outcomes: { id: string; status: string; versions: number }[] }[];
  neverDeployed: number;
  notDeployedAtEnd: string[];
}

export interface Incident {
  incident_key: string;
  event: string;
  severity: string;
  opened_day: number;
  certificate_id?: string;
  /** The scheduled fault it traces back to, or null: an alert without a real failure. */
  fault: string | null;
  resolved_day: number | null;
}

export interface FleetReport {
  scenario: string;
  certificates: number;
  simulated_days: number;
  wall_seconds: number;
  goals: {
    expired: number;
    within_24h_of_expiry: number;
    alerts_without_real_failure: number;
    incident_alerts_resolved_fraction: number;
    human_actions: number;
  };
  renewals: {
    total: number;
    by_class: Record<string, { count: number; mean_lead: number; worst_lead: number; best_lead: number }>;
    mean_lead: number;
    worst_lead: number;
  };
  alerts: {
    opened: number;
    for_real_failure: number;
    without_real_failure: number;
    resolved: number;
    by_event: Record<string, { opened: number; resolved: number }>;
    incidents: Incident[];
  };
  human_actions: { count: number; items: string[] };
  ca_calls: {
    per_certificate: number;
    issue_calls_per_renewal: number;
    by_issuer: Record<string, { issue: number; ari: number; refused: number }>;
    busiest_hour: number;
  };
  replica_kills: ReportInput['killed'];
  final_certificate_statuses: Record<string, number>;
  jobs: ReportInput['jobs'];
  faults: { type: string; detail: string; start_day: number; end_day: number }[];
  samples: StepSample[];
  sample_start: number;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function describeFault(f: Fault): string {
  switch (f.type) {
    case 'ca_down':
      return `CA ${f.issuer} down for ${f.hours} h`;
    case 'ca_rate_limited':
      return `CA ${f.issuer} answers 429 (Retry-After ${f.retry_after_seconds} s) for ${f.hours} h`;
    case 'ari_renew_now':
      return `CA ${f.issuer} ARI says "renew now" for ${Math.round(f.fraction * 100)}% of its certificates`;
    case 'agent_offline':
      return `agent-${f.agent} offline for ${f.hours} h`;
    case 'target_reload_fails':
      return `target-${f.target} reload fails for ${f.hours} h`;
    case 'replica_killed':
      return `a server replica killed holding up to ${f.jobs_in_flight} jobs`;
  }
}

/** The fault that explains a page: same issuer, agent or target, active between (page - lifetime) and the page. */
function explain(page: PageRecord, cert: CertOutcome | undefined, faults: FaultWindow[]): FaultWindow | undefined {
  const at = page.at.getTime();
  return faults.find((w) => {
    const f = w.fault;
    if (page.event === 'agent_offline')
      return f.type === 'agent_offline' && new RegExp(`\\bagent-${f.agent}\\b`).test(page.subject) && at >= w.start;
    if (!cert) return false;
    if (at < w.start || at > w.end + cert.lifetimeMs) return false;
    switch (f.type) {
      case 'ca_down':
      case 'ca_rate_limited':
        return f.issuer === cert.issuer;
      case 'ari_renew_now':
        return w.affected?.includes(cert.id) ?? false;
      case 'agent_offline':
        return f.agent === cert.agent;
      case 'target_reload_fails':
        return f.target === cert.target;
      default:
        return false;
    }
  });
}

export function buildReport(input: ReportInput): FleetReport {
  const day = (t: number) => round((t - input.t0) / DAY, 2);
  const certById = new Map(input.certs.map((c) => [c.id, c]));
  const expired = input.certs.filter((c) => c.minRemainingMs <= 0);
  const near = input.certs.filter((c) => c.minRemainingMs < 24 * HOUR);

  const byClass: FleetReport['renewals']['by_class'] = {};
  for (const r of input.renewals) {
    const entry = byClass[r.className] ?? { count: 0, mean_lead: 0, worst_lead: 1, best_lead: 0 };
    byClass[r.className] = entry;
    entry.count++;
    entry.mean_lead += r.leadFraction;
    entry.worst_lead = Math.min(entry.worst_lead, r.leadFraction);
    entry.best_lead = Math.max(entry.best_lead, r.leadFraction);
  }
  for (const entry of Object.values(byClass)) {
    entry.mean_lead = round(entry.mean_lead / entry.count);
    entry.worst_lead = round(entry.worst_lead);
    entry.best_lead = round(entry.best_lead);
  }
  const leads = input.renewals.map((r) => r.leadFraction);

  const incidents = new Map<string, Incident>();
  for (const page of input.pages) {
    if (incidents.has(page.incidentKey)) continue;
    const cert = page.certificateId ? certById.get(page.certificateId) : undefined;
    const fault = explain(page, cert, input.faults);
    const resolvedAt = input.resolved.get(page.incidentKey);
    incidents.set(page.incidentKey, {
      incident_key: page.incidentKey,
      event: page.event,
      severity: page.severity,
      opened_day: day(page.at.getTime()),
      ...(page.certificateId && { certificate_id: page.certificateId }),
      fault: fault ? describeFault(fault.fault) : null,
      resolved_day: resolvedAt ? day(resolvedAt.getTime()) : null,
    });
  }
  const list = [...incidents.values()];
  const byEvent: FleetReport['alerts']['by_event'] = {};
  for (const i of list) {
    const e = byEvent[i.event] ?? { opened: 0, resolved: 0 };
    byEvent[i.event] = e;
    e.opened++;
    if (i.resolved_day !== null) e.resolved++;
  }
  const real = list.filter((i) => i.fault !== null);
  const resolved = list.filter((i) => i.resolved_day !== null);

  const human: string[] = [];
  const failed = input.statuses.failed ?? 0;
  if (failed > 0)
    human.push(`${failed} certificate(s) left in status "failed": the renewal check does not pick them up again`);
  if (input.notDeployedAtEnd.length > 0)
    human.push(
      `${input.notDeployedAtEnd.length} target(s) still serve an older version than the current one (a failed deployment is not retried): redeploy`,
    );
  if (expired.length > 0) human.push(`${expired.length} certificate(s) expired on their targets`);
  const openIncidents = list.filter((i) => i.resolved_day === null).length;
  if (openIncidents > 0) human.push(`${openIncidents} page(s) left open for a person to close`);
  const dead = input.jobs.filter((j) => j.status === 'dead').reduce((s, j) => s + j.count, 0);
  if (dead > 0) human.push(`${dead} job(s) dead-lettered`);
  const humanCount = failed + input.notDeployedAtEnd.length + expired.length + openIncidents + dead;

  const calls = Object.values(input.caCalls).reduce((s, c) => s + c.issue + c.ari, 0);
  const issueCalls = Object.values(input.caCalls).reduce((s, c) => s + c.issue, 0);
  const stepHours = input.scenario.step_minutes / 60;
  return {
    scenario: input.scenario.name,
    certificates: input.certs.length,
    simulated_days: round((input.end - input.t0) / DAY, 2),
    wall_seconds: round(input.wallSeconds, 1),
    goals: {
      expired: expired.length,
      within_24h_of_expiry: near.length,
      alerts_without_real_failure: list.length - real.length,
      incident_alerts_resolved_fraction: list.length === 0 ? 1 : round(resolved.length / list.length),
      human_actions: humanCount,
    },
    renewals: {
      total: input.renewals.length,
      by_class: byClass,
      mean_lead: leads.length ? round(leads.reduce((s, x) => s + x, 0) / leads.length) : 0,
      worst_lead: leads.length ? round(Math.min(...leads)) : 0,
    },
    alerts: {
      opened: list.length,
      for_real_failure: real.length,
      without_real_failure: list.length - real.length,
      resolved: resolved.length,
      by_event: byEvent,
      incidents: list,
    },
    human_actions: { count: humanCount, items: human },
    ca_calls: {
      per_certificate: round(calls / Math.max(1, input.certs.length), 2),
      issue_calls_per_renewal: round(issueCalls / Math.max(1, input.renewals.length + input.certs.length), 2),
      by_issuer: input.caCalls,
      busiest_hour: Math.round(Math.max(0, ...input.samples.map((s) => s.caCalls)) / stepHours),
    },
    replica_kills: input.killed,
    final_certificate_statuses: input.statuses,
    jobs: input.jobs,
    faults: input.faults.map((w) => ({
      type: w.fault.type,
      detail: describeFault(w.fault),
      start_day: day(w.start),
      end_day: day(w.end),
    })),
    samples: input.samples,
    sample_start: input.t0,
  };
}

/** The readable summary (Markdown-friendly plain text). */
export function formatSummary(report: FleetReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const g = report.goals;
  const lines = [
    `Fleet simulation "${report.scenario}": ${report.certificates} certificates, ${report.simulated_days} simulated days, ${report.wall_seconds} s of real time`,
    '',
    `Expired on a target:               ${g.expired} (goal 0)`,
    `Came within 24 h of expiry:        ${g.within_24h_of_expiry} (goal 0)`,
    `Renewals done:                     ${report.renewals.total}`,
    `Renewal lead (remaining/lifetime): mean ${pct(report.renewals.mean_lead)}, worst ${pct(report.renewals.worst_lead)} (goal about 33%)`,
  ];
  for (const [name, c] of Object.entries(report.renewals.by_class))
    lines.push(
      `  ${name.padEnd(12)} ${String(c.count).padStart(7)} renewals, lead mean ${pct(c.mean_lead)}, worst ${pct(c.worst_lead)}, earliest ${pct(c.best_lead)}`,
    );
  lines.push(
    `Alerts (incidents) opened:         ${report.alerts.opened}, for a real failure ${report.alerts.for_real_failure}, without one ${report.alerts.without_real_failure} (goal 0)`,
    `Incidents resolved by the server:  ${report.alerts.resolved} of ${report.alerts.opened} (${pct(g.incident_alerts_resolved_fraction)}, goal 100%)`,
  );
  for (const [event, e] of Object.entries(report.alerts.by_event))
    lines.push(`  ${event.padEnd(16)} opened ${e.opened}, resolved ${e.resolved}`);
  lines.push(`Human actions needed:              ${g.human_actions} (goal 0)`);
  for (const item of report.human_actions.items) lines.push(`  - ${item}`);
  lines.push(
    `CA calls per certificate:          ${report.ca_calls.per_certificate} (issue calls per issuance ${report.ca_calls.issue_calls_per_renewal}; busiest hour ${report.ca_calls.busiest_hour} calls)`,
  );
  for (const kill of report.replica_kills) {
    const succeeded = kill.outcomes.filter((o) => o.status === 'succeeded' && o.versions === 1).length;
    lines.push(
      `Replica killed holding ${kill.jobs} job(s): ${succeeded} finished by the survivor with exactly one version each`,
    );
  }
  lines.push('Faults:');
  for (const f of report.faults) lines.push(`  day ${f.start_day}: ${f.detail}`);
  return `${lines.join('\n')}\n`;
}
