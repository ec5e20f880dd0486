import { z } from 'zod';

// The primitives the agent protocol shares live in @certctl/wire.
export { errorSchema, name, nullableTimestamp, pemText, timestamp } from '@certctl/wire';

export const idParams = z.object({ id: z.string().min(1).max(128).describe('resource id') });

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(50),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), total: z.number().int(), page: z.number().int(), per_page: z.number().int() });
}

export const pageOf = (query: { page: number; per_page: number }) => ({ page: query.page, perPage: query.per_page });
