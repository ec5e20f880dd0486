import { z } from 'zod';
import { nullableTimestamp, timestamp } from './common.js';

/** The entity a connector instance reads as on the API (secrets redacted), named `id` in the OpenAPI document. */
export function connectorInstanceSchema(options: { id: string; typeDescription?: string }) {
  const type = z.string();
  return z
    .object({
      id: z.string(),
      name: z.string(),
      type: options.typeDescription ? type.describe(options.typeDescription) : type,
      config: z.record(z.string(), z.unknown()).describe('connector config; secret fields read "[redacted]"'),
      enabled: z.boolean(),
      source: z.enum(['database', 'env', 'builtin']),
      test_status: z.enum(['untested', 'ok', 'failed']),
      test_detail: z.string().nullable(),
      last_tested_at: nullableTimestamp,
      connector_status: z.enum(['available', 'unavailable', 'not_installed']),
      capabilities: z.record(z.string(), z.boolean()).optional(),
      created_at: timestamp,
      updated_at: timestamp,
    })
    .meta({ id: options.id });
}
