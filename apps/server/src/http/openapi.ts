import { z } from 'zod';
import { type AnyRouteSpec, defineRoute, openApiPath, type ResponseSpec, restOfPathParameter } from './route-spec.js';
import { errorSchema } from './schemas/common.js';

type JsonSchema = Record<string, unknown>;

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  return rest;
}

/**
 * Named schemas (`.meta({ id: 'Certificate' })` on a zod schema) become `components.schemas`
 * entries referenced by `$ref`, so generated clients get real type names. A schema whose request
 * (input) form differs from its answer (output) form, by defaults or optional fields, is named
 * `<Id>Input` for requests.
 */
class ComponentSchemas {
  readonly schemas: Record<string, JsonSchema> = {};

  /** The JSON Schema of `schema` with its named parts moved to the components. */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $defs, ...rest } = jsonSchema(schema, io) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const names = new Map<string, string>();
    for (const [id, definition] of Object.entries($defs ?? {})) names.set(id, this.nameFor(id, io, definition));
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => {
          if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
            const id = decodeURIComponent(inner.slice('#/$defs/'.length));
            return [key, `#/components/schemas/${names.get(id) ?? id}`];
          }
          return [key, rewrite(inner)];
        }),
      );
    };
    for (const [id, definition] of Object.entries($defs ?? {})) {
      const name = names.get(id)!;
      const rewritten = rewrite(definition) as JsonSchema;
      const existing = this.schemas[name];
      if (existing && JSON.stringify(existing) !== JSON.stringify(rewritten))
        throw new Error(`two different schemas are named "${name}" in the OpenAPI document`);
      this.schemas[name] = rewritten;
    }
    return rewrite(rest) as JsonSchema;
  }

  private nameFor(id: string, io: 'input' | 'output', definition: JsonSchema): string {
    if (io === 'output') return id;
    // Requests share the answer's name when both forms are the same schema.
    const output = this.schemas[id];
    return output && JSON.stringify(output) === JSON.stringify(definition) ? id : `${id}Input`;
  }
}

function parameters(
  components: ComponentSchemas,
  schema: z.ZodType | undefined,
  location: 'path' | 'query',
  restOfPath?: string,
) {
  if (!schema) return [];
  const json = components.convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const rest = name === restOfPath;
    const description = [
      typeof property.description === 'string' ? property.description : undefined,
      rest ? 'The rest of the path: it may contain "/" (send it as is, not percent-encoded).' : undefined,
    ]
      .filter(Boolean)
      .join(' ');
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description && { description }),
      ...(rest && { 'x-certctl-rest-of-path': true }),
      schema: property,
    };
  });
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid API key',
  403: 'Not allowed for this key',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported content type',
  429: 'Rate limited',
  500: 'Internal error (the request id identifies it in the server log)',
  503: 'The database is unavailable (restarting, failing over); retry after the Retry-After seconds',
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** A 2xx/3xx answer (or a protocol's own error format): JSON from its schema, raw bodies of its content types, or no body. */
function successResponse(response: ResponseSpec, components: ComponentSchemas) {
  const contentTypes = [response.contentType ?? 'application/json'].flat();
  const schemaOf = (contentType: string) =>
    response.schema
      ? components.convert(response.schema, 'output')
      : contentType.startsWith('text/')
        ? { type: 'string' }
        : { type: 'string', format: 'binary' };
  if (!response.schema && !response.contentType) return { description: response.description };
  return {
    description: response.description,
    content: Object.fromEntries(contentTypes.map((type) => [type, { schema: schemaOf(type) }])),
  };
}

/** The OpenAPI 3.1 document, generated from the same route specs that validate requests. */
export function buildOpenApiDocument(routes: readonly AnyRouteSpec[], info: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const components = new ComponentSchemas();
  components.convert(errorSchema, 'output');
  const operationIds = new Map<string, string>();
  // Answers first: a request schema is named `<Id>Input` only when it differs from the answer's.
  const visible = routes.filter((route) => !route.hidden);
  const responsesOf = new Map(
    visible.map((route) => {
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries(route.responses as Record<string, ResponseSpec>)) {
        // A protocol may answer an error in its own format (an OCSP tryLater): it declares the content type.
        responses[status] =
          Number(status) >= 400 && !response.contentType
            ? errorResponse(response.description)
            : successResponse(response, components);
      }
      return [route, responses];
    }),
  );
  for (const route of visible) {
    const seen = operationIds.get(route.operationId);
    const where = `${route.method} ${route.path}`;
    if (seen && seen !== where) throw new Error(`operationId "${route.operationId}" is used by ${seen} and ${where}`);
    operationIds.set(route.operationId, where);
    const responses = responsesOf.get(route)!;
    const errorStatuses = [
      400,
      ...(route.access === 'public' ? [] : [401, 403]),
      404,
      ...(route.body ? [413, 415] : []),
      429,
      500,
      503,
    ];
    for (const status of errorStatuses) responses[String(status)] ??= errorResponse(STATUS_TEXT[status] ?? 'Error');
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      ...(route.access === 'public'
        ? { security: [] }
        : { security: [{ bearerAuth: [] }], 'x-certctl-role': route.access }),
      parameters: [
        ...parameters(components, route.params, 'path', restOfPathParameter(route.path)),
        ...parameters(components, route.query, 'query'),
      ],
      ...(route.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: components.convert(route.body, 'input') } },
        },
      }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'certctl API',
      version: info.version,
      description:
        'Certificate lifecycle control plane. JSON bodies are snake_case; lists are {data, total, page, per_page}; errors are {error, message, request_id}.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: info.serverUrl
      ? [{ url: info.serverUrl }]
      : [
          {
            url: '{server_url}',
            description: 'A certctl server (its HTTPS listener, CERTCTL_SERVER_PORT)',
            variables: { server_url: { default: 'https://localhost:8443' } },
          },
        ],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from CERTCTL_API_KEYS_NAMED, the first-start admin key, or POST /api/v1/api-keys',
        },
      },
      schemas: components.schemas,
    },
    paths,
  };
}

/** `GET /api/v1/openapi.json`: the document of every route the listener serves, built on first request. */
export function openApiRoute(routes: () => readonly AnyRouteSpec[], info: { version: string }): AnyRouteSpec {
  let document: unknown;
  return defineRoute({
    method: 'GET',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API as OpenAPI 3.1',
    tags: ['meta'],
    access: 'public',
    responses: {
      // Sent as it is built: its keys (operationId, ...) must not be converted to snake_case.
      200: {
        description: 'OpenAPI document',
        contentType: 'application/json',
        schema: z.record(z.string(), z.unknown()),
      },
    },
    handler: ({ reply }) => {
      document ??= buildOpenApiDocument(routes(), info);
      reply.type('application/json; charset=utf-8');
      return JSON.stringify(document);
    },
  });
}
