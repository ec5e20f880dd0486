import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { z } from 'zod';
import type { SentResponse } from '../http/build-app.js';
import { jsonSchema } from '../http/openapi.js';
import { type AnyRouteSpec, declaredResponse } from '../http/route-spec.js';
import { errorSchema } from '../http/schemas/common.js';
import type { ResponseCheckReport, ResponseMismatch } from './response-mismatches.js';

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]?.trim().toLowerCase();

function bodyText(payload: unknown): string | undefined {
  if (payload === null || payload === undefined) return undefined;
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  return undefined;
}

/**
 * Checks every answer a route spec sends against what the route declares, with the JSON Schema the
 * OpenAPI document publishes (objects closed: a field the document does not name is a mismatch),
 * so a client generated from the document reads what the server really sends.
 */
export function createResponseSchemaCheck() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<z.ZodType, ValidateFunction>();
  const validatorFor = (schema: z.ZodType) => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(jsonSchema(schema, 'output'));
      validators.set(schema, validate);
    }
    return validate;
  };
  const operations = new Set<string>();
  const exercised = new Map<string, Set<number>>();
  const mismatches: ResponseMismatch[] = [];

  function problemWith({ route, statusCode, contentType, payload, errorAnswer }: SentResponse): string | undefined {
    const declared = declaredResponse(route, statusCode) ?? (statusCode >= 400 ? errorAnswer : undefined);
    const isError = statusCode >= 400 && !declared?.contentType;
    if (!declared && !isError) return `status ${statusCode} is not declared`;
    const expectedTypes =
      isError || !declared?.contentType ? ['application/json'] : [declared.contentType].flat().map(mediaType);
    const schema = isError ? errorSchema : declared?.schema;
    const text = bodyText(payload);
    if (!isError && !declared?.schema && !declared?.contentType) {
      return text ? `declared without a body, sent ${text.length} characters` : undefined;
    }
    if (!expectedTypes.includes(mediaType(contentType)))
      return `content type ${contentType} instead of ${expectedTypes.join(' or ')}`;
    if (!schema) return undefined;
    if (text === undefined) return 'no JSON body';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return 'the body is not JSON';
    }
    const validate = validatorFor(schema);
    if (validate(body)) return undefined;
    return (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
      .join('; ');
  }

  return {
    routes(routes: readonly AnyRouteSpec[]): void {
      for (const route of routes) if (!route.hidden) operations.add(route.operationId);
    },
    check(response: SentResponse): void {
      const { operationId } = response.route;
      const statuses = exercised.get(operationId) ?? new Set<number>();
      statuses.add(response.statusCode);
      exercised.set(operationId, statuses);
      const problem = problemWith(response);
      if (problem) mismatches.push({ operationId, statusCode: response.statusCode, problem });
    },
    report(): ResponseCheckReport {
      return {
        operations: [...operations].sort(),
        exercised: Object.fromEntries([...exercised].map(([id, s]) => [id, [...s].sort((a, b) => a - b)])),
        mismatches: [...mismatches],
      };
    },
  };
}
export type ResponseSchemaCheck = ReturnType<typeof createResponseSchemaCheck>;
