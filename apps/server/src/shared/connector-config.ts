import { ConnectorError, type ConnectorKind, REDACTED } from '@certctl/core';
import {
  type RefusedAddress,
  refusedConfigAddresses,
  refusedConfigAddressesResolved,
  ssrfPolicyForNetwork,
} from '@certctl/connector-utils';
import type { z } from 'zod';
import type { ServiceDeps } from './service-deps.js';
import { invalid, ServiceError } from './service-errors.js';

/**
 * Checks that a connector of `kind`/`type` is installed and that `config` passes its schema (400
 * with the schema's issues otherwise); returns the schema, which says which fields are secret.
 */
export function validateConnectorConfig(
  deps: Pick<ServiceDeps, 'registry'>,
  kind: ConnectorKind,
  type: string,
  config: unknown,
): z.ZodType {
  if (!deps.registry.has(kind, type)) {
    throw invalid(
      `no ${kind} connector "${type}" is installed (installed: ${
        deps.registry
          .list(kind)
          .map((e) => e.id)
          .join(', ') || 'none'
      })`,
    );
  }
  try {
    deps.registry.validateConfig(kind, type, config);
  } catch (error) {
    if (ConnectorError.isInstance(error))
      throw new ServiceError(400, 'invalid_config', error.message, (error as { issues?: unknown }).issues);
    throw error;
  }
  return deps.registry.get(kind, type).configSchema;
}

function unreachable(refused: RefusedAddress[]): ServiceError {
  return new ServiceError(
    400,
    'invalid_config',
    `config points at addresses the server may not connect to (${refused
      .map((r) => `${r.path}: ${r.message}`)
      .join('; ')}); an operator can allow private hosts or ranges with CERTCTL_NETWORK_ALLOW`,
    refused,
  );
}

/**
 * Refuses a config of a connector the server runs (issuer, notifier) whose URLs the server's network
 * policy would refuse at connect time: cloud metadata and link-local addresses always, loopback and
 * private ones unless the operator allowed them. Literal addresses in any notation, without DNS.
 */
export function assertConfigReachable(
  deps: Pick<ServiceDeps, 'connectorNetwork'>,
  kind: ConnectorKind,
  type: string,
  config: unknown,
): void {
  const refused = refusedConfigAddresses(config, ssrfPolicyForNetwork(deps.connectorNetwork, `${kind}-${type}`));
  if (refused.length > 0) throw unreachable(refused);
}

/** The same check with names resolved, before a connection test; answers the refusal as text, or undefined. */
export async function unreachableConfigProblem(
  deps: Pick<ServiceDeps, 'connectorNetwork'>,
  kind: ConnectorKind,
  type: string,
  config: unknown,
): Promise<string | undefined> {
  const policy = ssrfPolicyForNetwork(deps.connectorNetwork, `${kind}-${type}`);
  const refused = await refusedConfigAddressesResolved(config, policy);
  return refused.length > 0 ? unreachable(refused).message : undefined;
}

/**
 * Where a secret field of an update says `[redacted]`, keep the stored value (the caller never saw
 * it). `*` matches record keys by name and array items by position; a `[redacted]` with nothing
 * stored at its place stays as it is (`assertNoRedactedPlaceholders` then refuses it).
 */
export function keepRedactedSecrets(
  paths: readonly (readonly string[])[],
  next: Record<string, unknown>,
  previous: Record<string, unknown>,
): Record<string, unknown> {
  let out: unknown = structuredClone(next);
  for (const path of paths) out = keepAt(out, previous, path);
  return out as Record<string, unknown>;
}

const own = (value: unknown, key: string | number): unknown =>
  typeof value === 'object' && value !== null && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;

function keepAt(next: unknown, previous: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return next === REDACTED && previous !== undefined ? previous : next;
  if (typeof next !== 'object' || next === null) return next;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(next)) {
    if (head !== '*') return next;
    return next.map((item, index) => keepAt(item, Array.isArray(previous) ? previous[index] : undefined, rest));
  }
  const record = next as Record<string, unknown>;
  for (const key of head === '*' ? Object.keys(record) : [head])
    if (Object.hasOwn(record, key)) record[key] = keepAt(record[key], own(previous, key), rest);
  return record;
}

/** Refuses a config whose secret field still says `[redacted]` where no stored value stands behind it. */
export function assertNoRedactedPlaceholders(paths: readonly (readonly string[])[], config: Record<string, unknown>) {
  const placeholders: string[] = [];
  const find = (value: unknown, path: readonly string[], at: string[]) => {
    if (path.length === 0) {
      if (value === REDACTED) placeholders.push(at.join('.'));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const [head, ...rest] = path as [string, ...string[]];
    const keys = head === '*' ? Object.keys(value) : [head];
    for (const key of keys) if (Object.hasOwn(value, key)) find(own(value, key), rest, [...at, key]);
  };
  for (const path of paths) find(config, path, []);
  if (placeholders.length > 0)
    throw new ServiceError(
      400,
      'invalid_config',
      `secret field(s) ${placeholders.join(', ')} say "${REDACTED}" but no value is stored for them: send the value itself`,
      placeholders.map((path) => ({ path, message: `"${REDACTED}" is a placeholder, not a value` })),
    );
}
