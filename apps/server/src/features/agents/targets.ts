import { type ConfigPath, configJsonSchema, jsonSchemaSecretPaths, redactPaths, secretPaths } from '@certctl/core';
import { decryptSecretPaths, encryptSecretPaths } from '../../connectors/secret-config.js';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { Target, TargetSchemaSource } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { agentTargetSchema, checkAgainstAgentSchema } from './agent-target-types.js';
import { recordAudit } from '../../shared/audit.js';
import {
  assertNoRedactedPlaceholders,
  keepRedactedSecrets,
  validateConnectorConfig,
} from '../../shared/connector-config.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

/**
 * Deployment targets. A target's config is checked against the schema of its connector: the
 * server's own when the connector is installed here, else the one its agent reported, else none
 * (stored as given). Secret fields of that schema are encrypted at rest, with the paths recorded
 * on the row (decryption never depends on a schema that may have changed since), redacted in every
 * view, and decrypted only for the agent that owns the target, in its deployment work.
 */

export interface TargetInput {
  id?: string;
  name: string;
  type: string;
  agentId?: string | null;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

/** A target as the API shows it: secret fields `[redacted]`. */
export type TargetView = Omit<Target, 'configSecretPaths'>;

interface TargetSchema {
  source: TargetSchemaSource;
  secretPaths: ConfigPath[];
  /** The config's top-level keys the schema declares (none without a schema). */
  properties: ReadonlySet<string>;
  /** Throws a 400 with the schema's issues. */
  check(config: Record<string, unknown>): void;
}

function view(row: Target): TargetView {
  const { configSecretPaths, ...rest } = row;
  return { ...rest, config: redactPaths(row.config, configSecretPaths) };
}

async function targetSchemaFor(
  deps: ServiceDeps,
  db: Executor,
  type: string,
  agentId: string | null,
): Promise<TargetSchema> {
  if (deps.registry.has('target', type)) {
    return {
      source: 'server',
      secretPaths: secretPaths(deps.registry.get('target', type).configSchema),
      properties: propertiesOf(configJsonSchema(deps.registry.get('target', type).configSchema)),
      check: (config) => void validateConnectorConfig(deps, 'target', type, config),
    };
  }
  const reported = agentId ? await agentTargetSchema(db, agentId, type) : undefined;
  if (reported && agentId) {
    return {
      source: 'agent',
      secretPaths: jsonSchemaSecretPaths(reported),
      properties: propertiesOf(reported),
      check: (config) => checkAgainstAgentSchema(reported, type, agentId, config),
    };
  }
  return { source: 'none', secretPaths: [], properties: new Set(), check: () => {} };
}

function propertiesOf(schema: Record<string, unknown>): Set<string> {
  const properties = schema.properties;
  return new Set(properties && typeof properties === 'object' ? Object.keys(properties) : []);
}

/**
 * Keeps what a deployment reported (an ACM `certificate_arn`) in the target's config, for keys its
 * schema declares, that are not secret, and that the operator left unset: the next deploy goes to
 * the same place even when the agent has lost its own state. A value the operator set is never
 * replaced, and a merge the schema refuses is skipped. Returns the keys learned.
 */
export async function learnTargetConfig(
  deps: ServiceDeps,
  trx: Executor,
  targetId: string,
  metadata: Record<string, string>,
): Promise<string[]> {
  const target = await trx.selectFrom('targets').selectAll().where('id', '=', targetId).forUpdate().executeTakeFirst();
  if (!target) return [];
  const schema = await targetSchemaFor(deps, trx, target.type, target.agentId);
  const secret = new Set([...schema.secretPaths, ...target.configSecretPaths].map((path) => path[0]));
  const config = decryptedTargetConfig(deps, target);
  const learned = Object.entries(metadata).filter(
    ([key]) => schema.properties.has(key) && !secret.has(key) && (config[key] === undefined || config[key] === null),
  );
  if (learned.length === 0) return [];
  let stored: ReturnType<typeof storedConfig>;
  try {
    stored = storedConfig(
      deps,
      target.id,
      schema,
      { ...config, ...Object.fromEntries(learned) },
      target.configSecretPaths,
    );
  } catch (error) {
    deps.logger.warn(
      { target_id: target.id, keys: learned.map(([key]) => key), error: (error as Error).message },
      "deploy metadata not kept in the target's config: its schema refuses it",
    );
    return [];
  }
  await trx
    .updateTable('targets')
    .set({ ...stored, updatedAt: deps.now() })
    .where('id', '=', target.id)
    .execute();
  return learned.map(([key]) => key);
}

/** The config as stored, with what the row records about it; throws 400 (nothing stored) when it does not pass. */
function storedConfig(
  deps: ServiceDeps,
  id: string,
  schema: TargetSchema,
  config: Record<string, unknown>,
  secretPathsToKeep: readonly ConfigPath[] = [],
) {
  schema.check(config);
  // Without a schema, fields a previous schema marked secret stay encrypted: no schema is no reason to store them in clear.
  const paths = schema.source === 'none' ? dedupe([...secretPathsToKeep]) : schema.secretPaths;
  assertNoRedactedPlaceholders(paths, config);
  return {
    config: JSON.stringify(encryptSecretPaths(paths, config, deps.cipher, id, 'target')),
    configSecretPaths: JSON.stringify(paths),
    configSchemaSource: schema.source,
  };
}

function dedupe(paths: readonly ConfigPath[]): ConfigPath[] {
  const seen = new Map(paths.map((p) => [p.join('\u0000'), p]));
  return [...seen.values()];
}

async function targetRow(db: Executor, id: string): Promise<Target> {
  const row = await db.selectFrom('targets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('target', id);
  return row;
}

/** A target's config with its secrets decrypted: only for deploying it, never for a response or a log line. */
export function decryptedTargetConfig(deps: Pick<ServiceDeps, 'cipher'>, target: Target): Record<string, unknown> {
  return decryptSecretPaths(target.configSecretPaths, target.config, deps.cipher, target.id, 'target');
}

export async function listTargets(
  deps: ServiceDeps,
  filters: { agentId?: string },
  page: PageRequest,
): Promise<PageResult<TargetView>> {
  let query = deps.db.selectFrom('targets');
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: data.map(view), total: Number(count.n), ...page };
}

export async function getTarget(deps: ServiceDeps, id: string): Promise<TargetView> {
  return view(await targetRow(deps.db, id));
}

export async function createTarget(deps: ServiceDeps, actor: Actor, input: TargetInput): Promise<TargetView> {
  const id = input.id ?? newId('target');
  const schema = await targetSchemaFor(deps, deps.db, input.type, input.agentId ?? null);
  const stored = storedConfig(deps, id, schema, input.config ?? {});
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('targets')
      .values({
        id,
        name: input.name,
        type: input.type,
        agentId: input.agentId ?? null,
        ...stored,
        enabled: input.enabled ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'create_target',
      { type: 'target', id: row.id },
      { name: row.name, type: row.type, agent_id: row.agentId, config_schema_source: row.configSchemaSource },
    );
    return view(row);
  });
}

/**
 * Changes a target. A new config, type or agent re-checks the config against the schema that now
 * applies and re-encrypts it; a secret field sent back as `[redacted]` keeps its stored value.
 */
export async function updateTarget(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<TargetInput, 'id'>>,
): Promise<TargetView> {
  const existing = await targetRow(deps.db, id);
  const type = input.type ?? existing.type;
  const agentId = input.agentId !== undefined ? input.agentId : existing.agentId;
  let stored: ReturnType<typeof storedConfig> | undefined;
  if (input.config !== undefined || type !== existing.type || agentId !== existing.agentId) {
    const schema = await targetSchemaFor(deps, deps.db, type, agentId);
    const previous = decryptedTargetConfig(deps, existing);
    const config =
      input.config === undefined
        ? previous
        : keepRedactedSecrets(dedupe([...existing.configSecretPaths, ...schema.secretPaths]), input.config, previous);
    stored = storedConfig(deps, id, schema, config, existing.configSecretPaths);
  }
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('targets')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.type !== undefined && { type: input.type }),
        ...(input.agentId !== undefined && { agentId: input.agentId }),
        ...stored,
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('target', id);
    await recordAudit(
      trx,
      actor,
      'update_target',
      { type: 'target', id },
      { fields: Object.keys(input), ...(stored && { config_schema_source: stored.configSchemaSource }) },
    );
    return view(row);
  });
}

export function deleteTarget(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('targets').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('target', id);
    await recordAudit(trx, actor, 'delete_target', { type: 'target', id });
  });
}
