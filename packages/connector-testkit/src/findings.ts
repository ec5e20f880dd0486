/** One thing a connector gets wrong, in words its author can act on. */
export interface Finding {
  /** Stable name of the rule, e.g. `manifest.id` or `capability.revoke`. */
  rule: string;
  message: string;
}

/** Collects findings; `check(cond, rule, message)` records one when `cond` is false. */
export class FindingList {
  readonly items: Finding[] = [];

  add(rule: string, message: string): void {
    this.items.push({ rule, message });
  }

  check(condition: unknown, rule: string, message: string): boolean {
    if (!condition) this.add(rule, message);
    return Boolean(condition);
  }
}

/** Human-readable list, one finding per line, for assertion messages and the CLI. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `  - [${f.rule}] ${f.message}`).join('\n');
}

/** Throws an Error listing every finding; used by the conformance suites so failures read as a checklist. */
export function assertNoFindings(findings: readonly Finding[], what = 'conformance'): void {
  if (findings.length === 0) return;
  throw new Error(`${what}: ${findings.length} problem(s)\n${formatFindings(findings)}`);
}

/** Findings whose rule starts with one of `prefixes`. */
export function findingsFor(findings: readonly Finding[], ...prefixes: string[]): Finding[] {
  return findings.filter((f) => prefixes.some((p) => f.rule === p || f.rule.startsWith(`${p}.`)));
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
