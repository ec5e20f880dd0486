import { ConnectorError, type ConnectorKind, REDACTED } from '@certctl/core';
import type { z } from 'zod';
import type { ServiceDeps } from './service-deps.js';
import { invalid, ServiceError } from './service-errors.js';

/**
 * Checks that a connector of `kind`/`type` is installed and that `config` passes its schema (400
 * with the schema's issues otherwise); returns the schema, which says which fields are secret.
 */
export function validateConnectorConfig(deps: Pick<ServiceDeps, 'registry'>, kind: ConnectorKind, type: string, config: unknown): z.ZodType {
  if (!deps.registry.has(kind, type)) {
    throw invalid(`no ${kind} connector "${type}" is installed (installed: ${deps.registry.list(kind).map((e) => e.id).join(', ') || 'none'})`);
  }
  try {
    deps.registry.validateConfig(kind, type, config);
  } catch (error) {
    if (ConnectorError.isInstance(error)) throw new ServiceError(400, 'invalid_config', error.message, (error as { issues?: unknown }).issues);
    throw error;
  }
  return deps.registry.get(kind, type).configSchema;
}

/** Where a secret field of an update says `[redacted]`, keep the stored value (the caller never saw it). */
export function keepRedactedSecrets(paths: readonly (readonly string[])[], next: Record<string, unknown>, previous: Record<string, unknown>) {
  const out = structuredClone(next);
  for (const path of paths) {
    if (path.includes('*')) continue;
    let target: Record<string, unknown> | undefined = out;
    let source: Record<string, unknown> | undefined = previous;
    for (const key of path.slice(0, -1)) {
      target = target?.[key] as Record<string, unknown> | undefined;
      source = source?.[key] as Record<string, unknown> | undefined;
    }
    const leaf = path[path.length - 1]!;
    if (target && target[leaf] === REDACTED) target[leaf] = source?.[leaf];
  }
  return out;
}
