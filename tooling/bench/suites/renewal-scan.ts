/**
 * The scheduler's renewal check (`runRenewalCheck` from apps/server) over N certificates on a fresh
 * PostgreSQL database migrated by the server itself. Rows are generated in bulk with multi-row
 * INSERT ... SELECT FROM generate_series (not through the API). Expiries spread over 31..395 days,
 * plus a small due fraction (0.1%) inside the 30-day window, as in a fleet that renews on time.
 * Timed, per size:
 *   - scanMs: the candidate query alone (timed inside the real function by a kysely plugin);
 *   - checkMs: the whole first check (scan + queueing a renewal job for each due certificate);
 *   - steadyScanMs: the next check, which finds the due ones already queued (nothing to do).
 *   --sizes=100000,1000000 --due-fraction=0.001
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { runRenewalCheck } from '../../../apps/server/src/features/issuance/maintenance.ts';
import { startTestServer } from '../../../apps/server/src/testing/test-server.ts';
import { createCsr, generateKeyPair, signCertificate } from '../../../packages/pki/src/index.ts';
import { arg, emit } from '../lib/measure.ts';
import { createScratchDatabase, pg } from '../lib/scratch-postgres.ts';

const sizes = arg('sizes', '100000,1000000').split(',').map(Number);
const dueFraction = Number(arg('due-fraction', '0.001'));
const CHUNK = 100_000;

class QueryTimer implements KyselyPlugin {
  readonly started = new Map<unknown, { kind: string; at: number }>();
  readonly log: { kind: string; ms: number }[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { kind: args.node.kind, at: performance.now() });
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.started.get(args.queryId);
    if (s) {
      this.log.push({ kind: s.kind, ms: performance.now() - s.at });
      this.started.delete(args.queryId);
    }
    return args.result;
  }
}

// One real leaf and CSR for the rows that come due (a renewal reuses the last CSR and checks it).
const DUE_CN = 'renew.bench.example.com';
const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
const csrPem = (await createCsr({ keys: leafKeys, subject: { CN: DUE_CN }, sans: [{ type: 'dns', value: DUE_CN }] }))
  .pem;
const leafPem = (
  await signCertificate({
    subject: { CN: DUE_CN },
    publicKey: leafKeys.publicKey,
    signingKey: leafKeys.privateKey,
    sans: [{ type: 'dns', value: DUE_CN }],
    validitySeconds: 86_400 * 90,
  } as never)
).pem;

const results: unknown[] = [];
for (const size of sizes) {
  const scratch = await createScratchDatabase();
  const server = await startTestServer({
    database: { url: scratch.url },
    installed: true,
    scheduler: false,
    listen: false,
  });
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  try {
    await client.query(`INSERT INTO teams (id, name) VALUES ('team-bench', 'bench')`);
    await client.query(
      `INSERT INTO owners (id, name, email, team_id) VALUES ('owner-bench', 'Bench', 'bench@example.com', 'team-bench')`,
    );
    await client.query(
      `INSERT INTO renewal_policies (id, name, renewal_window_days) VALUES ('policy-bench', 'bench', 30)`,
    );
    const dueEvery = Math.max(1, Math.round(1 / dueFraction));
    const insertStarted = performance.now();
    for (let from = 1; from <= size; from += CHUNK) {
      const to = Math.min(size, from + CHUNK - 1);
      // Certificates: due ones (i % dueEvery = 0) expire within the window, the rest 31..395 days out.
      await client.query(
        `INSERT INTO certificates (id, name, common_name, sans, owner_id, team_id, issuer_id, renewal_policy_id, status, expires_at, current_version_id)
         SELECT 'cert-' || i, 'bench-' || i, CASE WHEN i % $3 = 0 THEN $4 ELSE 'host-' || i || '.bench.example.com' END, '[]'::jsonb,
                'owner-bench', 'team-bench', 'iss-local', 'policy-bench', 'active',
                now() + CASE WHEN i % $3 = 0 THEN make_interval(days => 1 + i % 29) ELSE make_interval(days => 31 + i % 365, secs => i % 86400) END,
                'ver-' || i
         FROM generate_series($1::int, $2::int) AS i`,
        [from, to, dueEvery, DUE_CN],
      );
      await client.query(
        `INSERT INTO certificate_versions (id, certificate_id, version, issuer_id, serial, not_before, not_after, fingerprint_sha256, certificate_pem, csr_pem, key_algorithm, key_size)
         SELECT 'ver-' || c.id_n, 'cert-' || c.id_n, 1, 'iss-local', md5('s' || c.id_n), now() - interval '60 days', c.expires_at, md5('f' || c.id_n) || md5('g' || c.id_n),
                $3, CASE WHEN c.id_n % $4 = 0 THEN $5 ELSE NULL END, 'ECDSA', 256
         FROM (SELECT i AS id_n, now() AS expires_at FROM generate_series($1::int, $2::int) AS i) c`,
        [from, to, leafPem, dueEvery, csrPem],
      );
    }
    await client.query('ANALYZE');
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    const due = Number(
      (await client.query(`SELECT count(*) FROM certificates WHERE expires_at <= now() + interval '30 days'`)).rows[0]
        .count,
    );

    const timer = new QueryTimer();
    const deps = { ...server.deps, db: server.deps.db.withPlugin(timer) };
    const first = performance.now();
    const check = await runRenewalCheck(deps);
    const checkMs = performance.now() - first;
    const scanMs = timer.log[0]?.ms ?? Number.NaN;
    timer.log.length = 0;
    const second = performance.now();
    const steady = await runRenewalCheck(deps);
    const steadyMs = performance.now() - second;
    const steadyScanMs = timer.log[0]?.ms ?? Number.NaN;
    const plan = (
      await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT c.id FROM certificates c JOIN renewal_policies p ON p.id = c.renewal_policy_id JOIN certificate_versions v ON v.id = c.current_version_id
       WHERE c.status IN ('active','expiring','expired') AND p.auto_renew AND c.expires_at <= now() + make_interval(days => p.renewal_window_days)
       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.certificate_id = c.id AND j.type IN ('issuance','renewal') AND j.status IN ('pending','awaiting_csr','awaiting_approval','running','waiting_on_ca'))
       ORDER BY c.expires_at LIMIT 10000`)
    ).rows[0]['QUERY PLAN'][0];
    const nodeTypes: string[] = [];
    interface PlanNode {
      'Node Type': string;
      'Index Name'?: string;
      'Relation Name'?: string;
      Plans?: PlanNode[];
    }
    const walk = (n: PlanNode) => {
      nodeTypes.push(
        n['Node Type'] +
          (n['Index Name'] ? `(${n['Index Name']})` : n['Relation Name'] ? `(${n['Relation Name']})` : ''),
      );
      for (const c of n.Plans ?? []) walk(c);
    };
    walk(plan.Plan);
    results.push({
      size,
      due,
      insertSeconds,
      scanMs,
      checkMs,
      examined: check.examined,
      queued: check.queued,
      errors: check.errors,
      steadyScanMs,
      steadyCheckMs: steadyMs,
      steadyExamined: steady.examined,
      plan: nodeTypes.join(' > '),
    });
    process.stderr.write(
      `renewal scan ${size}: insert ${insertSeconds.toFixed(1)} s, scan ${scanMs.toFixed(0)} ms, check ${checkMs.toFixed(0)} ms (queued ${check.queued}), steady scan ${steadyScanMs.toFixed(0)} ms\n`,
    );
  } finally {
    await client.end();
    await server.stop();
    await scratch.drop();
  }
}
emit({ dueFraction, sizes: results });
