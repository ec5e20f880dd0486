import type { ConnectorRegistry } from '@certctl/core';
import type { TargetTypeReport } from '@certctl/wire';
import { ServerRequestError } from './server-client.js';

/** A target connector installed on this agent, as the server learns it: id and config JSON Schema (secret fields marked). */
export type { TargetTypeReport };

/** How long the agent waits before offering its target types again after a refusal, and between refreshes. */
export const TARGET_TYPES_REFRESH_MS = 60 * 60 * 1000;

/** Every available target connector with the JSON Schema of its config, from core's `configJsonSchema`. */
export function installedTargetTypes(registry: ConnectorRegistry): TargetTypeReport[] {
  return registry
    .list('target')
    .filter((entry) => entry.status === 'available')
    .map((entry) => ({ type: entry.id, config_schema: registry.configJsonSchema('target', entry.id) }));
}

/** A server older than the `target_types` field refuses the unknown key with a 400 that names it. */
export function isTargetTypesRefusal(error: unknown): boolean {
  return error instanceof ServerRequestError && error.status === 400 && error.message.includes('target_types');
}
