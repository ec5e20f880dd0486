import { z } from 'zod';
import { type AnyRouteSpec, defineRoute, type ResponseSpec } from './route-spec.js';
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

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof property.description === 'string' && { description: property.description }),
    schema: property,
  }));
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
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** A 2xx/3xx answer (or a protocol's own error format): JSON from its schema, raw bodies of its content types, or no body. */
function successResponse(response: ResponseSpec) {
  const contentTypes = [response.contentType ?? 'application/json'].flat();
  const schemaOf = (contentType: string) =>
    response.schema
      ? jsonSchema(response.schema, 'output')
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
  for (const route of routes) {
    if (route.hidden) continue;
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses as Record<string, ResponseSpec>)) {
      // A protocol may answer an error in its own format (an OCSP tryLater): it declares the content type.
      responses[status] =
        Number(status) >= 400 && !response.contentType
          ? errorResponse(response.description)
          : successResponse(response);
    }
    const errorStatuses = [
      400,
      ...(route.access === 'public' ? [] : [401, 403]),
      404,
      ...(route.body ? [413, 415] : []),
      429,
      500,
    ];
    for (const status of errorStatuses) responses[String(status)] ??= errorResponse(STATUS_TEXT[status] ?? 'Error');
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      ...(route.access !== 'public' && { security: [{ bearerAuth: [] }], 'x-certctl-role': route.access }),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body && {
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } },
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
    },
    ...(info.serverUrl && { servers: [{ url: info.serverUrl }] }),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from CERTCTL_API_KEYS_NAMED, the first-start admin key, or POST /api/v1/api-keys',
        },
      },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
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
