import { z } from 'zod';

/** Every 4xx/5xx answer of the API. */
export const errorSchema = z
  .object({
    error: z.string().describe('machine-readable code, e.g. not_found, validation_failed'),
    message: z.string(),
    request_id: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'Error' });

/**
 * RFC 3339 text on the wire. Branded so the server's route handlers may return a Date where the
 * wire carries text (the server's `InternalOf`); the brand never reaches the JSON.
 */
export const timestamp = z.string().describe('RFC 3339 timestamp').brand<'Timestamp'>();
export const nullableTimestamp = timestamp.nullable();

/** PEM text limited in size: bodies are limited too, but a field should say what it accepts. */
export const pemText = z.string().min(1).max(65_536);

/** C0 controls and DEL: ids and names are shown and stored (PostgreSQL cannot hold NUL), never controls. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A resource id: 1-128 characters, no NUL or other control character. */
export const resourceId = z
  .string()
  .min(1)
  .max(128)
  .refine((value) => !hasControlCharacter(value), 'must not contain control characters')
  .describe('resource id');

/** A display name: 1-200 characters, no control characters. */
export const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((value) => !hasControlCharacter(value), 'must not contain control characters');
