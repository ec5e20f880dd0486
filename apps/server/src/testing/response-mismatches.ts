// No imports: the run's global setup (which resolves packages without the source condition) reads these too.

/** An answer that is not what its route declares. */
export interface ResponseMismatch {
  operationId: string;
  statusCode: number;
  problem: string;
}

/** What one test server saw: the operations it answered (with their statuses) and every mismatch. */
export interface ResponseCheckReport {
  operations: string[];
  exercised: Record<string, number[]>;
  mismatches: ResponseMismatch[];
}

export function describeMismatches(mismatches: readonly ResponseMismatch[]): string {
  const lines = new Set(mismatches.map((m) => `  ${m.operationId} ${m.statusCode}: ${m.problem}`));
  return [...lines].join('\n');
}
