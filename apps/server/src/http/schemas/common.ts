import { z } from 'zod';
import { jsonProblem, MAX_INT32 } from '../input-limits.js';

// The primitives the agent protocol shares live in @certctl/wire.
export { errorSchema, name, nullableTimestamp, pemText, resourceId, timestamp } from '@certctl/wire';
import { resourceId } from '@certctl/wire';

const noNul = (value: string) => !value.includes('\u0000');

/** Free text (descriptions, filters): PostgreSQL cannot store NUL, so it is refused. */
export const text = (max: number) => z.string().max(max).refine(noNul, 'must not contain a NUL byte');

/** An integer for an integer column (PostgreSQL `integer`): bounded so it always fits. */
export const int32 = (min = 0, max = MAX_INT32) => z.number().int().min(min).max(max);

/**
 * A connector config: an object nested at most 32 levels with at most 20,000 values and no NUL,
 * checked without recursion before anything walks it (secret keeping, validation).
 */
export const connectorConfig = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** What PUT does with `config` on issuers, notifiers and targets (docs/security.md, OpenAPI). */
export const CONFIG_REPLACES =
  'The whole connector config. PUT changes only the fields it is given: omit config to keep it. When sent, it replaces the stored config (keys not sent are removed); a secret field sent back as "[redacted]" keeps its stored value.';

export const idParams = z.object({ id: resourceId });

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(50),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), total: z.number().int(), page: z.number().int(), per_page: z.number().int() });
}

export const pageOf = (query: { page: number; per_page: number }) => ({ page: query.page, perPage: query.per_page });
