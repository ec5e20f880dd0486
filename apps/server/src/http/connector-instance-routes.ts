/**
 * The REST shape every kind of connector instance the server runs shares (issuers, notifiers): the
 * installed types, list, create, get, update, delete and a connection test, on `/api/v1/<plural>`.
 * A feature names its kind, its words and its connection probe; the operations are built here.
 */
import { z } from 'zod';
import type { InstanceKind } from '../connectors/secret-config.js';
import {
  createInstance,
  deleteInstance,
  getInstance,
  listInstances,
  listInstanceTypes,
  testInstance,
  updateInstance,
} from '../shared/connector-instances.js';
import type { ServiceDeps } from '../shared/service-deps.js';
import { type AnyRouteSpec, defineRoute } from './route-spec.js';
import { CONFIG_REPLACES, connectorConfig, idParams, listOf, name, pageOf, pageQuery } from './schemas/common.js';
import type { connectorInstanceSchema } from './schemas/connector-instance.js';
import { fromWire } from './wire-format.js';

export interface ConnectorInstanceRoutesOptions {
  kind: InstanceKind;
  /** The entity schema (see connectorInstanceSchema). */
  schema: ReturnType<typeof connectorInstanceSchema>;
  /** `Issuer` → operation ids `listIssuers`, `getIssuer`, `listIssuerTypes`, ... */
  operationNoun: string;
  /** Path segment and tag: `issuers` → `/api/v1/issuers`, `/api/v1/issuer-types`. */
  plural: string;
  /** Said of the body's `type` in the document, when it needs saying. */
  bodyTypeDescription?: string;
  /** Summaries that name the thing: `issuers` / `an issuer`, and what create, delete and test say. */
  summaries: {
    list: string;
    create: string;
    get: string;
    update: string;
    delete: string;
    test: string;
  };
  /** Response descriptions: `Issuers` and `Issuer`. */
  descriptions: { many: string; one: string };
  /** Proves the instance can reach its service; the detail shown to the operator. */
  probe(deps: ServiceDeps, id: string): Promise<string>;
}

export function connectorInstanceRoutes(deps: ServiceDeps, options: ConnectorInstanceRoutesOptions): AnyRouteSpec[] {
  const { kind, schema, operationNoun: noun, plural } = options;
  const singular = plural.replace(/s$/, '');
  const type = z.string().min(1).max(64);
  const body = z
    .object({
      id: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes')
        .optional(),
      name,
      type: options.bodyTypeDescription ? type.describe(options.bodyTypeDescription) : type,
      config: connectorConfig.default({}),
      enabled: z.boolean().optional(),
    })
    .strict();
  const tags = [plural];
  return [
    defineRoute({
      method: 'GET',
      path: `/api/v1/${singular}-types`,
      operationId: `list${noun}Types`,
      summary: `Installed ${singular} connectors, their capabilities and config JSON Schemas`,
      tags,
      access: 'viewer',
      responses: {
        200: { description: 'Connectors', schema: z.object({ data: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: () => ({ data: listInstanceTypes(deps, kind) }),
    }),
    defineRoute({
      method: 'GET',
      path: `/api/v1/${plural}`,
      operationId: `list${noun}s`,
      summary: options.summaries.list,
      tags,
      access: 'viewer',
      query: pageQuery,
      responses: { 200: { description: options.descriptions.many, schema: listOf(schema) } },
      handler: ({ query }) => listInstances(deps, kind, pageOf(query)),
    }),
    defineRoute({
      method: 'POST',
      path: `/api/v1/${plural}`,
      operationId: `create${noun}`,
      summary: options.summaries.create,
      tags,
      access: 'admin',
      body,
      responses: { 201: { description: 'Created', schema } },
      handler: ({ actor, body }) => createInstance(deps, actor, kind, fromWire(body)),
    }),
    defineRoute({
      method: 'GET',
      path: `/api/v1/${plural}/{id}`,
      operationId: `get${noun}`,
      summary: options.summaries.get,
      tags,
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: options.descriptions.one, schema } },
      handler: ({ params }) => getInstance(deps, kind, params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: `/api/v1/${plural}/{id}`,
      operationId: `update${noun}`,
      summary: options.summaries.update,
      tags,
      access: 'admin',
      params: idParams,
      body: body
        .omit({ id: true, type: true, config: true })
        .partial()
        .extend({ config: connectorConfig.optional().describe(CONFIG_REPLACES) }),
      responses: { 200: { description: 'Updated', schema } },
      handler: ({ actor, params, body }) => updateInstance(deps, actor, kind, params.id, fromWire(body)),
    }),
    defineRoute({
      method: 'DELETE',
      path: `/api/v1/${plural}/{id}`,
      operationId: `delete${noun}`,
      summary: options.summaries.delete,
      tags,
      access: 'admin',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      handler: ({ actor, params }) => deleteInstance(deps, actor, kind, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: `/api/v1/${plural}/{id}/test`,
      operationId: `test${noun}`,
      summary: options.summaries.test,
      tags,
      access: 'operator',
      params: idParams,
      responses: { 200: { description: 'Result', schema: z.object({ ok: z.boolean(), detail: z.string() }) } },
      handler: ({ actor, params }) => testInstance(deps, actor, kind, params.id, () => options.probe(deps, params.id)),
    }),
  ];
}
