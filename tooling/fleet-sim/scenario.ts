/** The fleet simulation's scenario file (JSON): the fleet, how long it runs, and the faults on a schedule. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

const lifetimeClass = z
  .object({
    name,
    lifetime_days: z.number().positive().max(398),
    /** Share of the fleet (weights are normalised). */
    weight: z.number().positive(),
    issuer: name,
    /** The policy's renewal window; with ARI it only bounds when the CA is asked (the CA's window decides). */
    renewal_window_days: z.number().int().min(1).max(365),
    alert_thresholds_days: z.array(z.number().int().min(0)).min(1),
  })
  .strict();

const issuer = z
  .object({
    name,
    /** Answers RFC 9773 renewal info (ACME `shortlived` with ARI): a window at 2/3 of the lifetime. */
    ari: z.boolean().default(false),
  })
  .strict();

const window = { at_day: z.number().min(0), hours: z.number().positive() };

const fault = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ca_down'), issuer: name, ...window }).strict(),
  z
    .object({
      type: z.literal('ca_rate_limited'),
      issuer: name,
      ...window,
      retry_after_seconds: z.number().int().positive(),
    })
    .strict(),
  z
    .object({
      type: z.literal('ari_renew_now'),
      issuer: name,
      at_day: z.number().min(0),
      /** Share of the issuer's certificates whose ARI window moves to "now" (a mass revocation). */
      fraction: z.number().gt(0).max(1),
    })
    .strict(),
  z.object({ type: z.literal('agent_offline'), agent: z.number().int().min(0), ...window }).strict(),
  z.object({ type: z.literal('target_reload_fails'), target: z.number().int().min(0), ...window }).strict(),
  z
    .object({
      type: z.literal('replica_killed'),
      at_day: z.number().min(0),
      /** Jobs the replica holds when it dies (claimed, never settled). */
      jobs_in_flight: z.number().int().min(1).default(20),
    })
    .strict(),
]);

export const scenarioSchema = z
  .object({
    name,
    seed: z.number().int().default(1),
    certificates: z.number().int().min(1).max(200_000),
    days: z.number().positive().max(400),
    /** Simulated time per step; every loop runs once per step. */
    step_minutes: z.number().int().min(1).max(1440).default(60),
    /** Simulated start (ISO 8601); default: now. */
    start: z.iso.datetime().optional(),
    agents: z.number().int().min(1).max(10_000),
    targets: z.number().int().min(1),
    /** Server replicas sharing the database (2 for a replica kill). */
    replicas: z.number().int().min(1).max(4).default(1),
    issuers: z.array(issuer).min(1),
    lifetimes: z.array(lifetimeClass).min(1),
    renewal_policy: z
      .object({
        max_retries: z.number().int().min(0).max(20).default(3),
        retry_interval_seconds: z.number().int().positive().default(300),
      })
      .strict()
      .default({ max_retries: 3, retry_interval_seconds: 300 }),
    faults: z.array(fault).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issuers = new Set(s.issuers.map((i) => i.name));
    const check = (ok: boolean, message: string, path: (string | number)[]) => {
      if (!ok) ctx.addIssue({ code: 'custom', message, path });
    };
    for (const [i, l] of s.lifetimes.entries())
      check(issuers.has(l.issuer), `issuer "${l.issuer}" is not in issuers`, ['lifetimes', i, 'issuer']);
    for (const [i, f] of s.faults.entries()) {
      if ('issuer' in f)
        check(issuers.has(f.issuer), `issuer "${f.issuer}" is not in issuers`, ['faults', i, 'issuer']);
      if (f.type === 'agent_offline') check(f.agent < s.agents, `agent ${f.agent} >= agents`, ['faults', i, 'agent']);
      if (f.type === 'target_reload_fails')
        check(f.target < s.targets, `target ${f.target} >= targets`, ['faults', i, 'target']);
      if (f.type === 'replica_killed')
        check(s.replicas >= 2, 'a replica kill needs replicas >= 2', ['faults', i, 'type']);
    }
    check(s.targets <= s.certificates, 'targets must not outnumber certificates', ['targets']);
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type Fault = Scenario['faults'][number];

/** Reads and validates a scenario file; the error names the file and every bad field. */
export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`[fleet-sim] ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `[fleet-sim] ${path} is not a valid scenario:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  return parsed.data;
}
