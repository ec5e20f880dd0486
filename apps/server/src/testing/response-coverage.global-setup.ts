import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeMismatches, type ResponseCheckReport } from './response-mismatches.js';

/**
 * Every test server of the run checks its answers against the declared response schemas and
 * writes what it saw here; at the end of the run this lists the operations the suites exercised
 * (and those none did) and fails the run if any answer did not match its schema.
 */
export default function collectResponseReports(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-response-reports-'));
  project.provide('certctlResponseReportDir', dir);
  return () => {
    const reports = readdirSync(dir).map(
      (file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ResponseCheckReport,
    );
    rmSync(dir, { recursive: true, force: true });
    if (reports.length === 0) return;
    const operations = new Set(reports.flatMap((r) => r.operations));
    const exercised = new Map<string, Set<number>>();
    for (const report of reports)
      for (const [id, statuses] of Object.entries(report.exercised)) {
        const seen = exercised.get(id) ?? new Set<number>();
        for (const status of statuses) seen.add(status);
        exercised.set(id, seen);
      }
    const mismatches = reports.flatMap((r) => r.mismatches);
    const summary = {
      exercised: Object.fromEntries([...exercised].sort().map(([id, s]) => [id, [...s].sort((a, b) => a - b)])),
      not_exercised: [...operations].filter((id) => !exercised.has(id)).sort(),
      mismatches,
    };
    const out = join(project.config.root, 'node_modules', '.cache', 'certctl');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'response-coverage.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(
      `[response schemas] ${exercised.size} of ${operations.size} operations exercised, ${mismatches.length} mismatches (${join(out, 'response-coverage.json')})`,
    );
    if (mismatches.length > 0)
      throw new Error(`answers that do not match their declared response schema:\n${describeMismatches(mismatches)}`);
  };
}
