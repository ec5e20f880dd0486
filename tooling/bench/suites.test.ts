// Each suite run at a tiny size, the server from source (no build): checks the result's shape and that
// the report turns it into rows, so a broken suite fails here cheaply. Nothing about time is asserted.
import { describe, expect, it } from 'vitest';
import { runSuite } from './lib/run-suite.mjs';
import { buildReport } from './report.mjs';

const fromSource = { ...process.env, BENCH_SERVER_FROM_SOURCE: '1' };
const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const sectionRows = (suites: object, section: string) =>
  buildReport(suites).rows.filter((r: { section: string }) => r.section.startsWith(section));

describe('bench suites at tiny sizes', () => {
  it('crl: one entry per size, each CRL built and compared with openssl', { timeout: 300_000 }, async () => {
    const crl = await runSuite('crl.ts', ['--entries=200,400']);
    expect(crl.sizes.map((s: { entries: number }) => s.entries)).toEqual([200, 400]);
    for (const s of crl.sizes) {
      expect(s.bytes).toBeGreaterThan(s.entries * 20);
      expect(finite(s.bestMs) && finite(s.opensslGencrlMs)).toBe(true);
    }
    expect(sectionRows({ crl }, 'crl')).toHaveLength(4);
  });

  it('agents: registers the fleet, every call answered, CPU read for both servers', { timeout: 600_000 }, async () => {
    const agents = await runSuite(
      'agent-fleet.ts',
      ['--db=postgres', '--agents=20', '--interval=2', '--seconds=3', '--register-concurrency=4'],
      fromSource,
    );
    expect(agents.registered).toBe(20);
    expect(agents.certctl.errors).toBe(0);
    expect(agents.certctl.calls).toBeGreaterThanOrEqual(20);
    expect(agents.bareNodeHttps.calls).toBeGreaterThanOrEqual(20);
    for (const w of [agents.certctl, agents.bareNodeHttps])
      expect([w.heartbeatMs.p99, w.workMs.p99, w.cpuCores].every(finite)).toBe(true);
    const rows = sectionRows({ agents }, 'agents:postgres');
    expect(rows.map((r: { name: string }) => r.name)).toContain('heartbeat p50 / p99 (every 2 s each)');
  });

  it('memory: first start and restart on PGlite, beside a bare node process', { timeout: 600_000 }, async () => {
    const memory = await runSuite('memory.ts', ['--dbs=pglite', '--idle-seconds=1'], fromSource);
    expect(memory.bareNodeRssMb).toBeGreaterThan(10);
    for (const start of [memory.pglite.firstStart, memory.pglite.restart]) {
      expect(start.idleRssMb).toBeGreaterThan(memory.bareNodeRssMb);
      expect(start.peakRssMb).toBeGreaterThanOrEqual(start.idleRssMb);
    }
    expect(sectionRows({ memory }, 'memory:pglite')).toHaveLength(3);
  });

  it('acme: sequential and concurrent lego orders against certctl and pebble', { timeout: 600_000 }, async () => {
    const acme = await runSuite(
      'acme-orders.ts',
      ['--orders=1', '--clients=2', '--concurrent-orders=2', '--inprocess-orders=4'],
      fromSource,
    );
    expect(acme.concurrent).toMatchObject({ clients: 2, orders: 2 });
    expect(acme.inProcess).toMatchObject({ clients: 2, orders: 4 });
    expect(
      [
        acme.certctlOrdersPerSecond,
        acme.pebbleOrdersPerSecond,
        acme.concurrent.certctlOrdersPerSecond,
        acme.concurrent.pebbleOrdersPerSecond,
        acme.inProcess.certctl.ordersPerSecond,
        acme.inProcess.pebble.ordersPerSecond,
      ].every((v) => finite(v) && v > 0),
    ).toBe(true);
    expect(sectionRows({ acme }, 'acme')).toHaveLength(6);
  });
});
