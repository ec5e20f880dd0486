/**
 * Runs a scenario: the real server (features, scheduler loops, job runner, renewal policies, ARI,
 * notification outbox) on a throwaway PostgreSQL database, its clock (`deps.now()`) driven by the
 * simulator, which steps simulated time and runs each loop once per step instead of waiting on timers.
 * Simulated: the CAs (sim-ca.ts), the incident tool (sim-pager.ts) and the agents, which speak the
 * agent protocol through the server's own agent service functions (heartbeat, work, certificate,
 * job status) and "deploy" by recording what each target now serves.
 */
import { createCsr, generateKeyPair, readCertificateSummary } from '../../packages/pki/src/index.ts';
import { call } from '../../apps/server/src/testing/api-fixtures.ts';
import { startTestServer, type TestServer } from '../../apps/server/src/testing/test-server.ts';
import { createCertificate } from '../../apps/server/src/features/issuance/issuance-requests.ts';
import {
  agentCertificate,
  agentJobStatus,
  agentWork,
  heartbeat,
} from '../../apps/server/src/features/agents/agents.ts';
import { claimJobs } from '../../apps/server/src/scheduler/job-queue.ts';
import type { Actor } from '../../apps/server/src/shared/actor.ts';
import { createRequire } from 'node:module';
import { createScratchPostgres } from '../../apps/server/src/testing/postgres-database.ts';
import type { Scenario } from './scenario.ts';
import { createSimCas, type SimCertificatePlan } from './sim-ca.ts';
import { createSimPager } from './sim-pager.ts';
import { buildReport, type FleetReport, type StepSample, type FaultWindow } from './report.ts';

// pg is the server's dependency; tooling declares none of the server's, so resolve it from there.
const pg = createRequire(new URL('../../apps/server/package.json', import.meta.url))('pg') as {
  Client: new (options: {
    connectionString: string;
  }) => {
    connect(): Promise<void>;
    query(text: string): Promise<unknown>;
    end(): Promise<void>;
  };
  escapeIdentifier(name: string): string;
};

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Deterministic PRNG (mulberry32), so a scenario and seed always build the same fleet. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SimulationOptions {
  /** PostgreSQL database URL; default: a scratch database created and dropped here. */
  databaseUrl?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

interface SimCertificate {
  id: string;
  index: number;
  className: string;
  issuer: string;
  target: number;
  lifetimeMs: number;
  /** What its target serves now. */
  served?: { notBefore: number; notAfter: number };
  minRemainingMs: number;
}

/** The loops the leader runs each step, in the order a timer-driven server would tend to. */
const BEFORE_JOBS = ['timeouts', 'expiry', 'renewalCheck'] as const;
const AFTER_JOBS = ['expiryAlerts', 'notifications'] as const;

export async function simulate(scenario: Scenario, options: SimulationOptions = {}): Promise<FleetReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[fleet-sim] ${line}\n`));
  const started = performance.now();
  const rand = random(scenario.seed);
  let simNow = scenario.start ? new Date(scenario.start) : new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const t0 = simNow.getTime();
  const now = () => simNow;

  const plans = new Map<string, SimCertificatePlan>();
  const cas = createSimCas({ issuers: scenario.issuers, now, plans });
  const pager = createSimPager(now);
  const scratch = options.databaseUrl ? undefined : await createScratchPostgres();
  const databaseUrl = options.databaseUrl ?? scratch!.url;
  const replicas: TestServer[] = [];
  try {
    // Commits without waiting for the WAL flush: durability is what the fault-injection tests prove,
    // and a fleet of thousands of hourly steps otherwise spends its time in fsync.
    const tuning = new pg.Client({ connectionString: databaseUrl });
    await tuning.connect();
    try {
      const name = new URL(databaseUrl).pathname.slice(1);
      await tuning.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} SET synchronous_commit = off`);
    } finally {
      await tuning.end();
    }
    for (let r = 0; r < scenario.replicas; r++)
      replicas.push(
        await startTestServer({
          database: { url: databaseUrl },
          connectors: [...cas.manifests, pager.manifest],
          now,
          scheduler: false,
          listen: false,
          checkResponses: false,
          replicaId: `sim-replica-${r}`,
          env: {
            CERTCTL_AGENT_OFFLINE_ALERT_CHANNELS: 'PagerDuty',
            CERTCTL_AGENT_OFFLINE_AFTER: '30m',
            CERTCTL_JOB_LEASE: '5m',
          },
        }),
      );
    const primary = replicas[0]!;
    const api = primary.api;
    const ok = async (method: 'POST', url: string, body: unknown) => {
      const res = await call(api, method, url, body);
      if (res.status !== 201 && res.status !== 200) throw new Error(`[fleet-sim] ${url}: ${res.status} ${res.body}`);
      return res.json as Record<string, unknown>;
    };

    // The organisation: one team and owner, one incident-tool notifier, the issuers and one renewal policy per lifetime class.
    const team = await ok('POST', '/api/v1/teams', { name: 'fleet' });
    const owner = await ok('POST', '/api/v1/owners', { name: 'Fleet', email: 'fleet@example.com', team_id: team.id });
    await ok('POST', '/api/v1/notifiers', { name: 'pager', type: 'pagerduty', config: { service: 'fleet' } });
    const issuerIds = new Map<string, string>();
    for (const issuer of scenario.issuers) {
      const created = await ok('POST', '/api/v1/issuers', {
        name: issuer.name,
        type: issuer.ari ? 'sim-acme' : 'sim-ca',
        config: { ca: issuer.name },
      });
      issuerIds.set(issuer.name, String(created.id));
    }
    const policyIds = new Map<string, string>();
    for (const life of scenario.lifetimes) {
      const created = await ok('POST', '/api/v1/renewal-policies', {
        name: `${life.name}-policy`,
        renewal_window_days: life.renewal_window_days,
        max_retries: scenario.renewal_policy.max_retries,
        retry_interval_seconds: scenario.renewal_policy.retry_interval_seconds,
        alert_thresholds_days: life.alert_thresholds_days,
        // Pages for warnings and worse; issued/renewed (informational) go nowhere.
        alert_channels: { informational: [], warning: ['PagerDuty'], critical: ['PagerDuty'] },
      });
      policyIds.set(life.name, String(created.id));
    }

    // Agents (registered through the API, as an operator would) and their targets.
    const agents: { id: string; name: string; actor: Actor; offline: boolean }[] = [];
    for (let a = 0; a < scenario.agents; a++) {
      const created = await ok('POST', '/api/v1/agents', { name: `agent-${a}` });
      const id = String(created.id);
      agents.push({
        id,
        name: `agent-${a}`,
        actor: { name: `agent-${a}`, type: 'agent', role: 'agent', agentId: id },
        offline: false,
      });
    }
    const targets: { id: string; agent: number; failing: boolean }[] = [];
    for (let t = 0; t < scenario.targets; t++) {
      const agent = t % scenario.agents;
      const created = await ok('POST', '/api/v1/targets', {
        name: `target-${t}`,
        type: 'nginx',
        agent_id: agents[agent]!.id,
        config: { cert_path: `/etc/ssl/fleet/${t}.crt`, key_path: `/etc/ssl/fleet/${t}.key` },
      });
      targets.push({ id: String(created.id), agent, failing: false });
    }
    const targetIndex = new Map(targets.map((t, i) => [t.id, i]));

    // The certificates, each on one target, with its lifetime class picked by weight.
    const totalWeight = scenario.lifetimes.reduce((s, l) => s + l.weight, 0);
    const pick = () => {
      let x = rand() * totalWeight;
      for (const l of scenario.lifetimes) {
        x -= l.weight;
        if (x < 0) return l;
      }
      return scenario.lifetimes.at(-1)!;
    };
    const keys: CryptoKeyPair[] = [];
    for (let k = 0; k < 16; k++) keys.push(await generateKeyPair({ algorithm: 'ecdsa-p256' }));
    const certs: SimCertificate[] = [];
    const certById = new Map<string, SimCertificate>();
    const systemActor: Actor = { name: 'fleet-sim', type: 'user', role: 'admin' };
    log(`creating ${scenario.certificates} certificates on ${scenario.targets} targets, ${scenario.agents} agents`);
    const creating: Promise<void>[] = [];
    for (let i = 0; i < scenario.certificates; i++) {
      const life = pick();
      const id = `cert_sim_${i.toString().padStart(6, '0')}`;
      const cn = `sim-${i}.fleet.example`;
      const lifetimeMs = life.lifetime_days * DAY;
      const cert: SimCertificate = {
        id,
        index: i,
        className: life.name,
        issuer: life.issuer,
        target: i % scenario.targets,
        lifetimeMs,
        minRemainingMs: Number.POSITIVE_INFINITY,
      };
      // A steady-state fleet: each certificate starts somewhere before its renewal point.
      plans.set(id, { lifetimeMs, initialAgeMs: Math.floor(rand() * lifetimeMs * 0.6), className: life.name });
      certs.push(cert);
      certById.set(id, cert);
      const create = async () => {
        const csrPem = (
          await createCsr({ keys: keys[i % keys.length]!, subject: { CN: cn }, sans: [{ type: 'dns', value: cn }] })
        ).pem;
        await createCertificate(primary.deps, systemActor, {
          id,
          name: `sim-${i}`,
          commonName: cn,
          sans: [cn],
          ownerId: String(owner.id),
          teamId: String(team.id),
          issuerId: issuerIds.get(life.issuer)!,
          renewalPolicyId: policyIds.get(life.name)!,
          targetIds: [targets[cert.target]!.id],
          csrPem,
        });
      };
      // A few at a time: the server's pool overlaps their database round trips.
      creating.push(create());
      if (creating.length === 16) await Promise.all(creating.splice(0));
      if (i % 500 === 499) await primary.runner.runOnce();
    }
    await Promise.all(creating);
    await primary.runner.runOnce();
    log(`fleet issued in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Faults as windows on the simulated timeline.
    const faults: FaultWindow[] = scenario.faults.map((f) => {
      const start = t0 + f.at_day * DAY;
      const end = 'hours' in f ? start + f.hours * HOUR : start;
      return { fault: f, start, end, applied: false, done: false };
    });
    const renewals: { certificateId: string; className: string; leadFraction: number; at: number }[] = [];
    let renewalsThisStep = 0;
    cas.onIssued((event) => {
      if (event.leadFraction === undefined) return;
      renewalsThisStep++;
      const cert = certById.get(event.certificateId);
      renewals.push({
        certificateId: event.certificateId,
        className: cert?.className ?? '?',
        leadFraction: event.leadFraction,
        at: event.at.getTime(),
      });
    });
    const killed: { jobIds: string[]; at: number }[] = [];
    const live = [...replicas];
    const samples: StepSample[] = [];
    let deployFailuresThisStep = 0;
    let deploysThisStep = 0;

    const runAgents = async () => {
      // Every online agent heartbeats each step; only those with deployment jobs poll for work (an
      // empty poll changes nothing on the server, and skipping it keeps large fleets tractable).
      const withWork = new Set(
        (
          await primary.deps.db
            .selectFrom('jobs')
            .select('agentId')
            .distinct()
            .where('type', '=', 'deployment')
            .where('status', 'in', ['pending', 'running'])
            .execute()
        ).map((row) => row.agentId),
      );
      for (const agent of agents) {
        if (agent.offline) continue;
        await heartbeat(primary.deps, agent.actor, agent.id, {});
        if (!withWork.has(agent.id)) continue;
        for (;;) {
          const work = await agentWork(primary.deps, agent.actor, agent.id);
          const deployments = work.filter((w) => w.type === 'deployment');
          if (deployments.length === 0) break;
          for (const item of deployments) {
            const t = targetIndex.get(item.targetId ?? '');
            const target = t === undefined ? undefined : targets[t];
            if (!target || target.failing) {
              deployFailuresThisStep++;
              await agentJobStatus(primary.deps, agent.actor, agent.id, item.jobId, {
                status: 'failed',
                error: 'nginx -s reload failed: the previous certificate was restored (simulated)',
              });
              continue;
            }
            const issued = await agentCertificate(primary.deps, agent.actor, agent.id, item.certificateId);
            const summary = readCertificateSummary(issued.certificatePem);
            const cert = certById.get(item.certificateId);
            if (cert) cert.served = { notBefore: summary.notBefore.getTime(), notAfter: summary.notAfter.getTime() };
            deploysThisStep++;
            await agentJobStatus(primary.deps, agent.actor, agent.id, item.jobId, { status: 'succeeded' });
          }
        }
      }
    };

    const applyFaults = async (t: number) => {
      for (const w of faults) {
        const f = w.fault;
        const active = t >= w.start && t < w.end;
        if (f.type === 'ca_down' || f.type === 'ca_rate_limited') {
          const state = cas.states.get(f.issuer)!;
          if (active) {
            state.mode = f.type === 'ca_down' ? 'down' : 'rate_limited';
            if (f.type === 'ca_rate_limited') state.retryAfterSeconds = f.retry_after_seconds;
          } else if (t >= w.end && !w.done) {
            state.mode = 'up';
            w.done = true;
          }
        } else if (f.type === 'agent_offline') {
          agents[f.agent]!.offline = active;
        } else if (f.type === 'target_reload_fails') {
          targets[f.target]!.failing = active;
        } else if (f.type === 'ari_renew_now' && t >= w.start && !w.applied) {
          w.applied = true;
          const state = cas.states.get(f.issuer)!;
          const serials = [...state.current.keys()];
          const batch = serials.filter(() => rand() < f.fraction);
          for (const serial of batch) state.renewNow.set(serial, new Date(t));
          w.affected = batch.map((s) => state.current.get(s)!);
          log(`ARI: ${f.issuer} asks ${batch.length} certificates to renew now`);
        }
        if (active || (t >= w.start && w.end === w.start)) w.applied = true;
      }
    };

    const killReplica = async (t: number) => {
      for (const w of faults) {
        if (w.fault.type !== 'replica_killed' || w.done || t < w.start) continue;
        const victim = live.at(-1);
        if (!victim || live.length < 2) throw new Error('[fleet-sim] no replica left to survive the kill');
        // What a replica does first in a job pass is claim; dying right after leaves leased, unsettled jobs.
        // The kill waits for a step with due jobs, so it always hits work in flight.
        const jobs = await claimJobs(
          victim.deps.db,
          victim.deps.replicaId,
          victim.deps.settings.jobLeaseMs,
          w.fault.jobs_in_flight,
          simNow,
        );
        if (jobs.length === 0) continue;
        w.done = true;
        live.pop();
        await victim.close();
        replicas.splice(replicas.indexOf(victim), 1);
        killed.push({ jobIds: jobs.map((j) => j.id), at: t });
        log(`replica ${victim.deps.replicaId} killed holding ${jobs.length} job(s)`);
      }
    };

    const spent = new Map<string, number>();
    const timed = async (name: string, fn: () => Promise<unknown>) => {
      const at = performance.now();
      await fn();
      spent.set(name, (spent.get(name) ?? 0) + performance.now() - at);
    };
    const stepMs = scenario.step_minutes * 60_000;
    const steps = Math.ceil((scenario.days * DAY) / stepMs);
    const stepStarted = performance.now();
    let pagesSeen = pager.pages.length;
    let resolvedSeen = 0;
    let caCallsSeen = 0;
    const caCalls = () => [...cas.states.values()].reduce((s, c) => s + c.calls.issue + c.calls.ari, 0);
    caCallsSeen = caCalls();
    const refusedTotal = () => [...cas.states.values()].reduce((s, c) => s + c.calls.refused, 0);
    let refusedSeen = refusedTotal();
    for (let step = 1; step <= steps; step++) {
      simNow = new Date(t0 + step * stepMs);
      const t = simNow.getTime();
      renewalsThisStep = 0;
      deployFailuresThisStep = 0;
      deploysThisStep = 0;
      await applyFaults(t);
      await timed('agents', runAgents);
      // Leader-locked loops run on the first live replica (the leader); every replica runs jobs (SKIP LOCKED).
      const leader = live[0]!;
      for (const loop of BEFORE_JOBS) await timed(loop, () => leader.scheduler.runLoop(loop));
      await killReplica(t);
      for (const replica of live) await timed('jobs', () => replica.runner.runOnce());
      for (const loop of AFTER_JOBS) await timed(loop, () => leader.scheduler.runLoop(loop));
      for (const cert of certs) {
        if (!cert.served) continue;
        const remaining = cert.served.notAfter - t;
        if (remaining < cert.minRemainingMs) cert.minRemainingMs = remaining;
      }
      const calls = caCalls();
      const refused = refusedTotal();
      samples.push({
        at: t,
        renewals: renewalsThisStep,
        deploys: deploysThisStep,
        caRefusals: refused - refusedSeen,
        deployFailures: deployFailuresThisStep,
        pages: pager.pages.length - pagesSeen,
        resolves: pager.resolved.size - resolvedSeen,
        caCalls: calls - caCallsSeen,
      });
      pagesSeen = pager.pages.length;
      resolvedSeen = pager.resolved.size;
      caCallsSeen = calls;
      refusedSeen = refused;
      if (step % Math.max(1, Math.round(steps / 20)) === 0)
        log(
          `day ${((t - t0) / DAY).toFixed(1)}/${scenario.days}: ${renewals.length} renewals, ${pager.pages.length} pages, ${((performance.now() - stepStarted) / 1000).toFixed(0)} s`,
        );
    }

    // Deployments queued by the last step's renewals: the agents pick them up as they would next.
    await runAgents();
    log(`real time per part (s): ${[...spent].map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}`);

    // Final state, read from the database the server wrote.
    const db = primary.deps.db;
    const statuses = await db
      .selectFrom('certificates')
      .select(['status'])
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .groupBy('status')
      .execute();
    const jobs = await db
      .selectFrom('jobs')
      .select(['type', 'status'])
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .groupBy(['type', 'status'])
      .execute();
    const killedJobIds = killed.flatMap((k) => k.jobIds);
    const killedOutcome = killedJobIds.length
      ? await db
          .selectFrom('jobs')
          .leftJoin('certificateVersions', 'certificateVersions.jobId', 'jobs.id')
          .select(['jobs.id', 'jobs.status'])
          .select((eb) => eb.fn.count<string>('certificateVersions.id').as('versions'))
          .where('jobs.id', 'in', killedJobIds)
          .groupBy(['jobs.id', 'jobs.status'])
          .execute()
      : [];
    const staleTargets = certs.filter((c) => {
      const target = targets[c.target]!;
      return !target.failing && c.served === undefined;
    }).length;
    const currentVersions = await db
      .selectFrom('certificates')
      .innerJoin('certificateVersions', 'certificateVersions.id', 'certificates.currentVersionId')
      .select(['certificates.id', 'certificateVersions.notAfter'])
      .execute();
    const notDeployed = currentVersions
      .filter((row) => {
        const cert = certById.get(row.id);
        return cert?.served !== undefined && cert.served.notAfter !== row.notAfter.getTime();
      })
      .map((row) => row.id);

    return buildReport({
      scenario,
      t0,
      end: simNow.getTime(),
      wallSeconds: (performance.now() - started) / 1000,
      certs: certs.map((c) => ({
        id: c.id,
        className: c.className,
        issuer: c.issuer,
        agent: targets[c.target]!.agent,
        target: c.target,
        lifetimeMs: c.lifetimeMs,
        minRemainingMs: c.minRemainingMs,
        servedNotAfter: c.served?.notAfter,
      })),
      renewals,
      samples,
      pages: pager.pages,
      resolved: pager.resolved,
      faults,
      caCalls: Object.fromEntries([...cas.states].map(([name, s]) => [name, { ...s.calls }])),
      statuses: Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)])),
      jobs: jobs.map((j) => ({ type: j.type, status: j.status, count: Number(j.n) })),
      killed: killed.map((k) => ({
        at: k.at,
        jobs: k.jobIds.length,
        outcomes: killedOutcome
          .filter((o) => k.jobIds.includes(o.id))
          .map((o) => ({ id: o.id, status: o.status, versions: Number(o.versions) })),
      })),
      neverDeployed: staleTargets,
      notDeployedAtEnd: notDeployed,
    });
  } finally {
    for (const replica of replicas.reverse()) await replica.stop().catch(() => undefined);
    await scratch?.drop().catch(() => undefined);
  }
}
