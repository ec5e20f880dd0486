import { dereference, inlineSchemaRefs } from './json-schema-refs.js';
import { UNTRUSTED_DATA_NOTE } from './untrusted-data.js';

type JsonObject = Record<string, unknown>;

export interface ToolParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
}

/** One API operation offered as an MCP tool. */
export interface OperationTool {
  name: string;
  description: string;
  inputSchema: JsonObject & { type: 'object' };
  method: string;
  path: string;
  parameters: ToolParameter[];
  hasBody: boolean;
  /** GET: reads only. */
  readOnly: boolean;
  /** Revokes, deletes, retires or archives something: refused without `confirm: true`. */
  destructive: boolean;
}

export interface ToolSelection {
  readOnly: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Roles whose routes are the agent protocol, not something an operator (or a model) calls. */
const AGENT_ROLES = new Set(['agent', 'agent-registration']);
/** Words of an operationId that make an operation destructive, besides the DELETE method. */
const DESTRUCTIVE_WORDS = new Set(['revoke', 'retire', 'delete', 'archive', 'destroy', 'purge', 'remove']);

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `bulkRevokeCertificates` → `bulk_revoke_certificates` (MCP tool names: [A-Za-z0-9_-], at most 64). */
export function toolName(operationId: string): string {
  return operationId
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .slice(0, 64);
}

function words(operationId: string): string[] {
  return toolName(operationId).split('_');
}

function operationName(method: string, path: string): string {
  return `${method}_${path.replace(/^\/api\/v1\//, '')}`.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_');
}

/**
 * The tools an assistant may call: every JSON API operation under /api/v1 except the agent protocol
 * (agents call those with their own keys) and the document itself; only GETs in read-only mode.
 */
export function toolsFromOpenApi(document: unknown, selection: ToolSelection): OperationTool[] {
  if (!isObject(document) || !isObject(document.paths)) throw new Error('the OpenAPI document has no "paths" object');
  const tools: OperationTool[] = [];
  const names = new Set<string>();
  for (const [path, pathItemRaw] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    const pathItem = dereference(document, pathItemRaw);
    if (!isObject(pathItem)) continue;
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation)) continue;
      const role = operation['x-certctl-role'];
      if (typeof role === 'string' && AGENT_ROLES.has(role)) continue;
      const operationId =
        typeof operation.operationId === 'string' ? operation.operationId : operationName(method, path);
      if (operationId === 'getOpenApi') continue;
      const readOnly = method === 'get';
      if (selection.readOnly && !readOnly) continue;
      let name = toolName(operationId);
      for (let i = 2; names.has(name); i++) name = `${toolName(operationId).slice(0, 60)}_${i}`;
      names.add(name);
      tools.push(operationTool(document, { name, method, path, operation, pathItem, operationId, readOnly }));
    }
  }
  return tools;
}

function operationTool(
  document: JsonObject,
  op: {
    name: string;
    method: string;
    path: string;
    operation: JsonObject;
    pathItem: JsonObject;
    operationId: string;
    readOnly: boolean;
  },
): OperationTool {
  const properties: JsonObject = {};
  const required: string[] = [];
  const parameters: ToolParameter[] = [];
  // Path-level parameters apply unless the operation overrides them (same name and location).
  const declared = [
    ...((op.pathItem.parameters as unknown[] | undefined) ?? []),
    ...((op.operation.parameters as unknown[] | undefined) ?? []),
  ]
    .map((p) => dereference(document, p))
    .filter(isObject);
  const byKey = new Map<string, JsonObject>();
  for (const p of declared) byKey.set(`${String(p.in)}:${String(p.name)}`, p);
  for (const parameter of byKey.values()) {
    const location = parameter.in;
    if ((location !== 'path' && location !== 'query') || typeof parameter.name !== 'string') continue;
    if (parameter.name in properties) continue;
    const schema = isObject(parameter.schema) ? parameter.schema : { type: 'string' };
    const description = typeof parameter.description === 'string' ? parameter.description : undefined;
    // A sibling of a $ref: kept beside the inlined schema's own keywords.
    properties[parameter.name] = { ...schema, ...(description && { description }) };
    const isRequired = location === 'path' || parameter.required === true;
    if (isRequired) required.push(parameter.name);
    parameters.push({ name: parameter.name, in: location, required: isRequired });
  }
  const requestBody = dereference(document, op.operation.requestBody);
  const bodySchema =
    isObject(requestBody) && isObject(requestBody.content) && isObject(requestBody.content['application/json'])
      ? (requestBody.content['application/json'] as JsonObject).schema
      : undefined;
  const hasBody = bodySchema !== undefined;
  if (hasBody) {
    properties.body = { ...(isObject(bodySchema) ? bodySchema : {}), description: 'The JSON request body.' };
    if ((requestBody as JsonObject).required !== false) required.push('body');
  }
  const destructive = op.method === 'delete' || words(op.operationId).some((word) => DESTRUCTIVE_WORDS.has(word));
  if (destructive) {
    properties.confirm = {
      type: 'boolean',
      const: true,
      description: 'Must be true: this operation cannot be undone. Ask the user before setting it.',
    };
    required.push('confirm');
  }
  const summary = typeof op.operation.summary === 'string' ? op.operation.summary : op.operationId;
  const role = typeof op.operation['x-certctl-role'] === 'string' ? op.operation['x-certctl-role'] : undefined;
  const description = [
    `${summary}.`,
    `certctl API: ${op.method.toUpperCase()} ${op.path}${role ? ` (needs the ${role} role)` : ''}.`,
    destructive ? 'DESTRUCTIVE: cannot be undone; refused unless confirm is true. Ask the user first.' : '',
    UNTRUSTED_DATA_NOTE,
  ]
    .filter(Boolean)
    .join(' ');
  return {
    name: op.name,
    description,
    // One pass over the whole input schema: every $ref inlined, recursive ones shared in its $defs.
    inputSchema: {
      ...inlineSchemaRefs(document, { type: 'object', properties, additionalProperties: false }),
      type: 'object',
      ...(required.length > 0 && { required }),
    },
    method: op.method.toUpperCase(),
    path: op.path,
    parameters,
    hasBody,
    readOnly: op.readOnly,
    destructive,
  };
}
