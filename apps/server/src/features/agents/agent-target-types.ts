import { type ConfigIssue, ConfigValidationError, type JsonSchema } from '@certctl/core';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Executor } from '../../db/open-database.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';

/**
 * The target connectors an agent has installed, each with the config JSON Schema it reported, so
 * the server can validate target configs and find their secret fields without the connector.
 *
 * An agent's schema is data from outside the server, so it is bounded before ajv sees it: size and
 * depth are capped, `pattern` is dropped (a hostile or careless regex would run on the server at
 * every validation: ReDoS) and so is `uniqueItems` (quadratic on arrays of objects);
 * `patternProperties` is refused; `$id`/`$schema` are dropped (each schema is compiled alone as
 * 2020-12, the dialect `configJsonSchema` emits); formats are not checked. The agent still applies
 * its full zod schema, patterns and formats included, when it deploys.
 */

export interface ReportedTargetType {
  type: string;
  configSchema: JsonSchema;
}

export interface RejectedTargetType {
  type: string;
  reason: string;
}

const MAX_SCHEMA_CHARS = 64 * 1024;
const MAX_DEPTH = 32;
const MAX_ISSUES = 20;
const CACHE_SIZE = 256;

/** Keywords whose value is one subschema, a list of them, or a map of name → subschema. */
const ONE_SCHEMA = new Set([
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
]);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_MAP = new Set(['properties', '$defs', 'definitions', 'dependentSchemas']);
const DROPPED = new Set(['pattern', 'uniqueItems', '$id', '$schema']);
const REFUSED = new Set(['patternProperties']);

class UnusableSchema extends Error {}

/** A copy of the schema as the server validates with it, or UnusableSchema saying why not. */
function boundSchema(node: unknown, depth: number): unknown {
  if (typeof node === 'boolean') return node;
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    throw new UnusableSchema('a subschema is not an object');
  if (depth > MAX_DEPTH) throw new UnusableSchema(`nested deeper than ${MAX_DEPTH} levels`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (REFUSED.has(key)) throw new UnusableSchema(`"${key}" is not accepted in agent-reported schemas`);
    if (DROPPED.has(key)) continue;
    if (ONE_SCHEMA.has(key)) out[key] = boundSchema(value, depth + 1);
    else if (SCHEMA_LIST.has(key)) {
      if (!Array.isArray(value)) throw new UnusableSchema(`"${key}" must be a list of schemas`);
      out[key] = value.map((child) => boundSchema(child, depth + 1));
    } else if (SCHEMA_MAP.has(key)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new UnusableSchema(`"${key}" must map names to schemas`);
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, boundSchema(child, depth + 1)]),
      );
    } else out[key] = value;
  }
  return out;
}

const compiled = new Map<string, ValidateFunction>();

function compile(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  // One instance per schema: no shared registry of ids or refs between agents.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, addUsedSchema: false });
  const validate = ajv.compile(schema);
  if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

/** The schema bounded and compiled, or why the server cannot use it. */
export function prepareAgentSchema(raw: unknown): { schema: JsonSchema } | { reason: string } {
  try {
    if (JSON.stringify(raw).length > MAX_SCHEMA_CHARS) return { reason: `larger than ${MAX_SCHEMA_CHARS} characters` };
    const schema = boundSchema(raw, 0);
    if (typeof schema !== 'object' || schema === null) return { reason: 'the schema is not an object' };
    compile(schema as JsonSchema);
    return { schema: schema as JsonSchema };
  } catch (error) {
    if (error instanceof UnusableSchema) return { reason: error.message };
    return { reason: `does not compile: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}` };
  }
}

const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

function issueOf(error: ErrorObject): ConfigIssue {
  const at = error.instancePath.split('/').slice(1).map(unescapePointer);
  // ajv's messages describe the rule ("must be string", "must be >= 1"), never the value.
  if (error.keyword === 'required')
    return { path: [...at, String(error.params.missingProperty)].join('.'), message: 'required' };
  if (error.keyword === 'additionalProperties')
    return { path: at.join('.'), message: `unknown key(s): ${String(error.params.additionalProperty)}` };
  return { path: at.join('.'), message: error.message ?? error.keyword };
}

/** Checks a target config against the schema its agent reported: 400 `invalid_config` with the issues otherwise. */
export function checkAgainstAgentSchema(schema: JsonSchema, type: string, agentId: string, config: unknown): void {
  const validate = compile(schema);
  if (validate(config)) return;
  const issues = (validate.errors ?? []).slice(0, MAX_ISSUES).map(issueOf);
  const error = new ConfigValidationError({ connector: `target-${type}`, issues });
  throw new ServiceError(
    400,
    'invalid_config',
    `${error.message} (checked against the schema agent ${agentId} reported)`,
    issues,
  );
}

/** The config schema `agentId` reported for target type `type`, if it did. */
export async function agentTargetSchema(db: Executor, agentId: string, type: string): Promise<JsonSchema | undefined> {
  const row = await db
    .selectFrom('agentTargetTypes')
    .select('configSchema')
    .where('agentId', '=', agentId)
    .where('type', '=', type)
    .executeTakeFirst();
  return row?.configSchema;
}

/** JSON with sorted keys: jsonb does not keep key order, and a heartbeat that changes nothing writes nothing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/**
 * Makes the agent's stored target types exactly what it reported (a type it no longer reports, or
 * whose schema the server cannot use, is forgotten); returns the types the server could not use.
 */
export async function recordAgentTargetTypes(
  trx: Executor,
  deps: Pick<ServiceDeps, 'logger' | 'now'>,
  agentId: string,
  reported: readonly ReportedTargetType[],
): Promise<RejectedTargetType[]> {
  const usable = new Map<string, JsonSchema>();
  const rejected: RejectedTargetType[] = [];
  for (const { type, configSchema } of reported) {
    const prepared = prepareAgentSchema(configSchema);
    if ('reason' in prepared) {
      usable.delete(type);
      rejected.push({ type, reason: prepared.reason });
      deps.logger.warn(
        { agent_id: agentId, target_type: type, reason: prepared.reason },
        'agent-reported target config schema not usable',
      );
    } else usable.set(type, prepared.schema);
  }
  const stored = await trx
    .selectFrom('agentTargetTypes')
    .select(['type', 'configSchema'])
    .where('agentId', '=', agentId)
    .execute();
  const gone = stored.filter((row) => !usable.has(row.type)).map((row) => row.type);
  if (gone.length > 0)
    await trx.deleteFrom('agentTargetTypes').where('agentId', '=', agentId).where('type', 'in', gone).execute();
  const known = new Map(stored.map((row) => [row.type, canonical(row.configSchema)]));
  for (const [type, schema] of usable) {
    if (known.get(type) === canonical(schema)) continue;
    const configSchema = JSON.stringify(schema);
    await trx
      .insertInto('agentTargetTypes')
      .values({ agentId, type, configSchema, reportedAt: deps.now() })
      .onConflict((oc) => oc.columns(['agentId', 'type']).doUpdateSet({ configSchema, reportedAt: deps.now() }))
      .execute();
  }
  return rejected;
}
