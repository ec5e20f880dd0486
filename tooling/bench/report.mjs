// Pure functions: suite results in, report (with ratios and goals) and a readable table out.
// No timing here; bench-result.test.ts checks these on sample numbers.

export const GOALS = {
  templateToRawRatio: 0.5, // template path at half the raw signing rate or better
  apiIssuedPerSecondPostgres: 2000, // issued and persisted through the API, PostgreSQL
  renewalScan1MMs: 2000, // 1M-certificate renewal scan
  idleRssMbPostgres: 120,
  idleRssMbPglite: 400,
  firstStartPeakMbPglite: 500, // the first start on PGlite (initdb + every migration) peaks under 500 MB
  ocspToOpensslMulti2: 5, // OCSP from the cache at five times `openssl ocsp -multi 2` or better
  ocspToBareNodeHttp: 0.6, // and at 60% of a bare node:http server answering 1 KB
  crl100kMs: 1000, // a 100,000-entry CRL built and signed in under a second
  crl1MMs: 2000, // a 1,000,000-entry CRL in under two seconds
  acmeOrdersToPebble: 2, // ACME orders with lego at twice pebble's rate or better
  agentFleetP99Ms: 50, // 10,000 agents heartbeating + polling every 30 s: p99 of each call
  agentFleetCpuCores: 0.5, // and the server under half a core doing it
  acmeConcurrentToPebble: 5, // and five times pebble's with 16 lego clients at once
};

export const ratio = (value, reference) =>
  Number.isFinite(value) && Number.isFinite(reference) && reference > 0 ? value / reference : null;

/** 'met' / 'missed' / 'n/a' for a value against an at-least or at-most goal. */
export function verdict(value, goal, kind) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return (kind === 'atLeast' ? value >= goal : value <= goal) ? 'met' : 'missed';
}

/** suites: { signing?, api?: { postgres?, pglite? }, renewal? } as the suites emit them. */
export function buildReport(suites, meta = {}) {
  const raw = suites.signing?.rawSignPerSecond ?? null;
  const rows = [];
  const add = (section, name, value, unit, extra = {}) =>
    rows.push({
      section,
      name,
      value: value ?? null,
      unit,
      ratioToRawSign: unit === 'ops/s' ? ratio(value, raw) : null,
      ...extra,
    });
  if (suites.signing) {
    const s = suites.signing;
    add('signing', 'raw crypto.sign P-256 (reference)', s.rawSignPerSecond, 'ops/s');
    const templateRatio = ratio(s.templatePerSecond, s.rawSignPerSecond);
    add('signing', 'pki template path (createLeafTemplateIssuer)', s.templatePerSecond, 'ops/s', {
      goal: `ratio >= ${GOALS.templateToRawRatio}`,
      status: verdict(templateRatio, GOALS.templateToRawRatio, 'atLeast'),
    });
    add('signing', 'pki general builder (signCertificate)', s.builderPerSecond, 'ops/s');
    if (s.parseCsrPerSecond) add('signing', 'pki parseCsr (API path cost)', s.parseCsrPerSecond, 'ops/s');
    if (s.verifyCsrSignaturePerSecond)
      add('signing', 'pki verifyCsrSignature (API path cost)', s.verifyCsrSignaturePerSecond, 'ops/s');
    if (s.parseCertificatePerSecond)
      add('signing', 'pki parseCertificate (API path cost)', s.parseCertificatePerSecond, 'ops/s');
  }
  for (const db of ['postgres', 'pglite']) {
    const a = suites.api?.[db];
    if (!a) continue;
    add(
      `api:${db}`,
      `issued + persisted via HTTPS API (c=${a.concurrency}, n=${a.requests})`,
      a.issuedPerSecond,
      'ops/s',
      db === 'postgres'
        ? {
            goal: `>= ${GOALS.apiIssuedPerSecondPostgres}/s`,
            status: verdict(a.issuedPerSecond, GOALS.apiIssuedPerSecondPostgres, 'atLeast'),
          }
        : {},
    );
    add(`api:${db}`, 'POST /certificates accepted (job queued)', a.acceptedPerSecond, 'ops/s');
    add(`api:${db}`, 'POST latency p50 / p99', a.postLatencyMs?.p50, 'ms', {
      detail: `p99 ${fmt(a.postLatencyMs?.p99)} ms`,
    });
    const goal = db === 'postgres' ? GOALS.idleRssMbPostgres : GOALS.idleRssMbPglite;
    add(`api:${db}`, 'idle RSS after boot', a.idleRssMb, 'MB', {
      goal: `< ${goal} MB`,
      status: verdict(a.idleRssMb, goal, 'atMost'),
    });
    add(`api:${db}`, 'RSS after the load', a.afterLoadRssMb, 'MB');
  }
  for (const r of suites.renewal?.sizes ?? []) {
    const isMillion = r.size >= 1_000_000;
    add(
      'renewal',
      `scan query, ${r.size.toLocaleString('en-US')} certs (${r.due} due)`,
      r.scanMs,
      'ms',
      isMillion
        ? { goal: `< ${GOALS.renewalScan1MMs} ms`, status: verdict(r.scanMs, GOALS.renewalScan1MMs, 'atMost') }
        : {},
    );
    add('renewal', `whole check incl. queueing ${r.queued}`, r.checkMs, 'ms');
    add(
      'renewal',
      'steady-state check (nothing new due)',
      r.steadyCheckMs,
      'ms',
      isMillion
        ? { goal: `< ${GOALS.renewalScan1MMs} ms`, status: verdict(r.steadyCheckMs, GOALS.renewalScan1MMs, 'atMost') }
        : {},
    );
    add('renewal', 'bulk insert (setup, not a result)', r.insertSeconds, 's');
  }
  const o = suites.ocsp;
  if (o) {
    const vsOpenssl = ratio(o.certctlGetCached, o.opensslPostPlain);
    const vsBare = ratio(o.certctlGetCached, o.bareNodeHttp);
    add('ocsp', `certctl GET, pre-signed cache (wrk c=${o.connections})`, o.certctlGetCached, 'ops/s', {
      goal: `>= ${GOALS.ocspToOpensslMulti2}x openssl, >= ${GOALS.ocspToBareNodeHttp}x node:http`,
      status:
        verdict(vsOpenssl, GOALS.ocspToOpensslMulti2, 'atLeast') === 'met' &&
        verdict(vsBare, GOALS.ocspToBareNodeHttp, 'atLeast') === 'met'
          ? 'met'
          : vsOpenssl === null || vsBare === null
            ? 'n/a'
            : 'missed',
      detail: `${fmt(vsOpenssl)}x openssl, ${fmt(vsBare)}x node:http`,
    });
    add('ocsp', 'certctl POST, pre-signed cache', o.certctlPostCached, 'ops/s');
    add('ocsp', 'certctl POST with nonce (signed per request)', o.certctlPostNonce, 'ops/s', {
      detail: `${fmt(ratio(o.certctlPostNonce, o.opensslPostNonce))}x openssl with nonce`,
    });
    add('ocsp', 'openssl ocsp -multi 2, POST (reference)', o.opensslPostPlain, 'ops/s');
    add('ocsp', 'openssl ocsp -multi 2, POST with nonce', o.opensslPostNonce, 'ops/s');
    add('ocsp', 'bare node:http, 1 KB (reference)', o.bareNodeHttp, 'ops/s');
  }
  // Older results carry one size at the top level; newer ones a `sizes` array.
  for (const c of suites.crl ? (suites.crl.sizes ?? [suites.crl]) : []) {
    const goalMs = c.entries >= 1_000_000 ? GOALS.crl1MMs : c.entries === 100_000 ? GOALS.crl100kMs : null;
    const rounds = c.timingsMs?.length ?? 3;
    add('crl', `${c.entries.toLocaleString('en-US')}-entry CRL built + signed (best of ${rounds})`, c.bestMs, 'ms', {
      ...(goalMs !== null && { goal: `< ${goalMs} ms`, status: verdict(c.bestMs, goalMs, 'atMost') }),
      detail: `${fmt(ratio(c.bestMs, c.opensslGencrlMs))}x openssl time`,
    });
    add('crl', 'openssl ca -gencrl, same entries (reference)', c.opensslGencrlMs, 'ms');
  }
  const a = suites.acme;
  if (a) {
    const vsPebble = ratio(a.certctlOrdersPerSecond, a.pebbleOrdersPerSecond);
    add('acme', `lego orders/s against certctl (sequential, n=${a.orders})`, a.certctlOrdersPerSecond, 'orders/s', {
      goal: `>= ${GOALS.acmeOrdersToPebble}x pebble`,
      status: verdict(vsPebble, GOALS.acmeOrdersToPebble, 'atLeast'),
      detail: `${fmt(vsPebble)}x pebble`,
    });
    add('acme', 'lego orders/s against pebble, always-valid (reference)', a.pebbleOrdersPerSecond, 'orders/s');
    const cc = a.concurrent;
    if (cc) {
      const ccVsPebble = ratio(cc.certctlOrdersPerSecond, cc.pebbleOrdersPerSecond);
      add(
        'acme',
        `lego orders/s against certctl (${cc.clients} clients at once, n=${cc.orders})`,
        cc.certctlOrdersPerSecond,
        'orders/s',
        {
          goal: `>= ${GOALS.acmeConcurrentToPebble}x pebble`,
          status: verdict(ccVsPebble, GOALS.acmeConcurrentToPebble, 'atLeast'),
          detail: `${fmt(ccVsPebble)}x pebble`,
        },
      );
      add(
        'acme',
        `lego orders/s against pebble (${cc.clients} clients, reference)`,
        cc.pebbleOrdersPerSecond,
        'orders/s',
      );
    }
    const ip = a.inProcess;
    if (ip) {
      const ipVsPebble = ratio(ip.certctl.ordersPerSecond, ip.pebble.ordersPerSecond);
      add(
        'acme',
        `in-process ACME clients: orders/s against certctl (${ip.clients} clients, n=${ip.orders})`,
        ip.certctl.ordersPerSecond,
        'orders/s',
        {
          goal: `>= ${GOALS.acmeConcurrentToPebble}x pebble`,
          status: verdict(ipVsPebble, GOALS.acmeConcurrentToPebble, 'atLeast'),
          detail: `${fmt(ipVsPebble)}x pebble; per order p50 ${fmt(ip.certctl.p50Ms)} ms, p99 ${fmt(ip.certctl.p99Ms)} ms`,
        },
      );
      add(
        'acme',
        `in-process ACME clients: orders/s against pebble (${ip.clients} clients, reference)`,
        ip.pebble.ordersPerSecond,
        'orders/s',
        { detail: `per order p50 ${fmt(ip.pebble.p50Ms)} ms, p99 ${fmt(ip.pebble.p99Ms)} ms` },
      );
    }
  }
  const m = suites.memory;
  for (const db of ['pglite', 'postgres']) {
    const d = m?.[db];
    if (!d) continue;
    const idleGoal = db === 'postgres' ? GOALS.idleRssMbPostgres : GOALS.idleRssMbPglite;
    const vsBare = (mb) => `${fmt(ratio(mb, m.bareNodeRssMb))}x bare node`;
    add(`memory:${db}`, 'first start: idle RSS', d.firstStart.idleRssMb, 'MB', {
      goal: `< ${idleGoal} MB`,
      status: verdict(d.firstStart.idleRssMb, idleGoal, 'atMost'),
      detail: vsBare(d.firstStart.idleRssMb),
    });
    add(
      `memory:${db}`,
      'first start: peak RSS (VmHWM)',
      d.firstStart.peakRssMb,
      'MB',
      db === 'pglite'
        ? {
            goal: `< ${GOALS.firstStartPeakMbPglite} MB`,
            status: verdict(d.firstStart.peakRssMb, GOALS.firstStartPeakMbPglite, 'atMost'),
            detail: vsBare(d.firstStart.peakRssMb),
          }
        : { detail: vsBare(d.firstStart.peakRssMb) },
    );
    add(`memory:${db}`, 'restart: idle RSS', d.restart.idleRssMb, 'MB', {
      goal: `< ${idleGoal} MB`,
      status: verdict(d.restart.idleRssMb, idleGoal, 'atMost'),
      detail: `peak ${fmt(d.restart.peakRssMb)} MB`,
    });
  }
  if (m) add('memory', 'bare node -e (reference)', m.bareNodeRssMb, 'MB');
  const f = suites.agents;
  if (f) {
    const c = f.certctl;
    const b = f.bareNodeHttps;
    const section = `agents:${f.db}`;
    add(section, `${f.agents.toLocaleString('en-US')} agents registered (setup)`, f.registrationsPerSecond, 'agents/s');
    for (const [call, key] of [
      ['heartbeat', 'heartbeatMs'],
      ['work poll', 'workMs'],
    ])
      add(section, `${call} p50 / p99 (every ${f.intervalSeconds} s each)`, c[key]?.p50, 'ms', {
        goal: `p99 < ${GOALS.agentFleetP99Ms} ms`,
        status: verdict(c[key]?.p99, GOALS.agentFleetP99Ms, 'atMost'),
        detail: `p99 ${fmt(c[key]?.p99)} ms; bare node:https p99 ${fmt(b?.[key]?.p99)} ms`,
      });
    add(section, `server CPU at ${fmt(c.requestsPerSecond)} req/s`, c.cpuCores, 'cores', {
      goal: `< ${GOALS.agentFleetCpuCores} core`,
      status: verdict(c.cpuCores, GOALS.agentFleetCpuCores, 'atMost'),
      detail: `${fmt(ratio(c.cpuCores, b?.cpuCores))}x bare node:https, ${c.errors} errors`,
    });
    add(section, 'bare node:https, same schedule (reference)', b?.cpuCores, 'cores');
  }
  return { ...meta, goals: GOALS, rawSignPerSecond: raw, rows, suites };
}

export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

/** A fixed-width text table of the report's rows. */
export function formatTable(report) {
  const header = ['section', 'measure', 'value', 'unit', 'x raw sign', 'goal', 'status'];
  const lines = report.rows.map((r) => [
    r.section,
    r.name,
    fmt(r.value),
    r.unit + (r.detail ? ` (${r.detail})` : ''),
    r.ratioToRawSign === null ? '' : r.ratioToRawSign.toFixed(3),
    r.goal ?? '',
    r.status ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) =>
    cells
      .map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}

export function resultFileName(name, date = new Date()) {
  return `${name}-${date.toISOString().replace(/[:.]/g, '-')}.json`;
}
