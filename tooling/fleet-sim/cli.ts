/**
 * `node tooling/fleet-sim/run.mjs <scenario.json> [--out=DIR]`: runs the scenario and writes
 * DIR/report.json, DIR/summary.txt and DIR/chart.png (DIR defaults to tooling/fleet-sim/results/<name>).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.ts';
import { formatSummary } from './report.ts';
import { loadScenario } from './scenario.ts';
import { simulate } from './simulate.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: node tooling/fleet-sim/run.mjs <scenario.json> [--out=DIR]\n');
  process.exit(2);
}
try {
  const scenario = loadScenario(file);
  const here = dirname(fileURLToPath(import.meta.url));
  const out = resolve(args.find((a) => a.startsWith('--out='))?.slice(6) ?? join(here, 'results', scenario.name));
  const report = await simulate(scenario);
  mkdirSync(out, { recursive: true });
  const summary = formatSummary(report);
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'summary.txt'), summary);
  writeFileSync(join(out, 'chart.png'), renderChart(report));
  process.stdout.write(summary);
  process.stdout.write(`written: ${join(out, 'report.json')}, summary.txt, chart.png\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
