// The pure part of the benchmark: ratios, verdicts and the table, on sample numbers. No timing.
import { describe, expect, it } from 'vitest';
import { buildReport, formatTable, ratio, resultFileName, verdict } from './report.mjs';

const sample = {
  signing: { rawSignPerSecond: 30_000, templatePerSecond: 16_000, builderPerSecond: 500 },
  api: {
    postgres: {
      requests: 2000,
      concurrency: 32,
      issuedPerSecond: 600,
      acceptedPerSecond: 900,
      postLatencyMs: { p50: 30, p90: 50, p99: 80 },
      idleRssMb: 110,
      afterLoadRssMb: 150,
    },
    pglite: {
      requests: 2000,
      concurrency: 32,
      issuedPerSecond: 300,
      acceptedPerSecond: 400,
      postLatencyMs: { p50: 60, p90: 90, p99: 120 },
      idleRssMb: 450,
      afterLoadRssMb: 500,
    },
  },
  renewal: {
    sizes: [
      { size: 1_000_000, due: 1000, scanMs: 900, checkMs: 5000, queued: 1000, steadyCheckMs: 880, insertSeconds: 60 },
    ],
  },
};

describe('bench report', () => {
  it('computes ratios to the raw signing rate and verdicts against the goals', () => {
    expect(ratio(16_000, 30_000)).toBeCloseTo(0.5333, 3);
    expect(ratio(1, 0)).toBeNull();
    expect(verdict(Number.NaN, 1, 'atLeast')).toBe('n/a');
    const report = buildReport(sample, { name: 'sample' });
    const row = (name: string) => report.rows.find((r: { name: string }) => r.name.startsWith(name))!;
    expect(row('pki template path').ratioToRawSign).toBeCloseTo(0.5333, 3);
    expect(row('pki template path').status).toBe('met');
    expect(row('issued + persisted').ratioToRawSign).toBeCloseTo(0.02, 5);
    expect(row('issued + persisted').status).toBe('missed');
    expect(
      report.rows
        .filter((r: { name: string }) => r.name === 'idle RSS after boot')
        .map((r: { status: string }) => r.status),
    ).toEqual(['met', 'missed']);
    expect(row('scan query, 1,000,000').status).toBe('met');
  });

  it('formats a table and a file name', () => {
    const table = formatTable(buildReport(sample));
    expect(table).toContain('raw crypto.sign P-256 (reference)');
    expect(table).toContain('0.533');
    expect(table.split('\n').length).toBe(3 + buildReport(sample).rows.length - 1);
    expect(resultFileName('bench', new Date('2026-01-02T03:04:05.678Z'))).toBe('bench-2026-01-02T03-04-05-678Z.json');
  });

  it('reports what ran when a suite is missing', () => {
    const report = buildReport({ signing: sample.signing });
    expect(report.rows).toHaveLength(3);
    expect(formatTable(report)).not.toContain('api:');
  });

  it('judges OCSP against openssl and bare node:http, and the 100k CRL against one second', () => {
    const report = buildReport({
      ocsp: {
        connections: 64,
        certctlGetCached: 30_000,
        certctlPostCached: 25_000,
        certctlPostNonce: 4_000,
        opensslPostPlain: 5_500,
        opensslPostNonce: 5_400,
        bareNodeHttp: 45_000,
      },
      crl: { entries: 100_000, bestMs: 1_200, opensslGencrlMs: 3_000 },
    });
    const row = (name: string) => report.rows.find((r: { name: string }) => r.name.startsWith(name))!;
    expect(row('certctl GET').status).toBe('met');
    expect(row('certctl GET').detail).toBe('5.45x openssl, 0.67x node:http');
    expect(row('100,000-entry CRL').status).toBe('missed');
    const sized = buildReport({
      crl: {
        sizes: [
          { entries: 100_000, bestMs: 800, timingsMs: [900, 800, 850], opensslGencrlMs: 3_000 },
          { entries: 1_000_000, bestMs: 2_500, timingsMs: [2_600, 2_500], opensslGencrlMs: 30_000 },
        ],
      },
    });
    const sizedRow = (name: string) => sized.rows.find((r: { name: string }) => r.name.startsWith(name))!;
    expect(sizedRow('100,000-entry CRL').status).toBe('met');
    expect(sizedRow('1,000,000-entry CRL built + signed (best of 2)').status).toBe('missed');
    expect(sizedRow('1,000,000-entry CRL').detail).toBe('0.08x openssl time');
    const slow = buildReport({
      ocsp: { connections: 64, certctlGetCached: 20_000, opensslPostPlain: 5_500, bareNodeHttp: 45_000 },
    });
    expect(slow.rows[0].status).toBe('missed');
  });
});
