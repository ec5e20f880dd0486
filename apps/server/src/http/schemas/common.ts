import { z } from 'zod';

export const errorSchema = z.object({
  error: z.string().describe('machine-readable code, e.g. not_found, validation_failed'),
  message: z.string(),
  request_id: z.string(),
  details: z.unknown().optional(),
});

export const idParams = z.object({ id: z.string().min(1).max(128).describe('resource id') });

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(500).default(50),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), total: z.number().int(), page: z.number().int(), per_page: z.number().int() });
}

/** Branded so route handlers may return a Date where the wire carries RFC 3339 text (see `InternalOf`). */
export const timestamp = z.string().describe('RFC 3339 timestamp').brand<'Timestamp'>();
export const nullableTimestamp = timestamp.nullable();

/** PEM text limited in size: bodies are limited too, but a field should say what it accepts. */
export const pemText = z.string().min(1).max(65_536);

export const name = z.string().trim().min(1).max(200);

export const pageOf = (query: { page: number; per_page: number }) => ({ page: query.page, perPage: query.per_page });
