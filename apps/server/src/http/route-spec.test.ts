import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createResponseSchemaCheck } from '../testing/response-schema-check.js';
import { buildOpenApiDocument } from './openapi.js';
import { type AnyRouteSpec, defineRoute } from './route-spec.js';
import { timestamp } from './schemas/common.js';

const widget = z.object({ id: z.string(), display_name: z.string(), created_at: timestamp });

// These definitions are compiled by the package typecheck: a handler's answer is typed by its route's declared schema.
const widgetRoute = defineRoute({
  method: 'GET',
  path: '/api/v1/widgets/{id}',
  operationId: 'getWidget',
  summary: 'A widget',
  tags: ['test'],
  access: 'viewer',
  responses: { 200: { description: 'Widget', schema: widget }, 409: { description: 'Busy' } },
  // camelCase keys and a Date for the timestamp: the wire form is derived by toWire.
  handler: () => ({ id: 'w1', displayName: 'Widget', createdAt: new Date(0) }),
});
defineRoute({
  ...widgetRoute,
  // @ts-expect-error a field the schema does not declare as optional is missing
  handler: () => ({ id: 'w1', createdAt: new Date(0) }),
});
defineRoute({
  ...widgetRoute,
  // @ts-expect-error wire (snake_case) keys are not the internal shape
  handler: () => ({ id: 'w1', display_name: 'Widget', created_at: new Date(0) }),
});
defineRoute({
  ...widgetRoute,
  // @ts-expect-error a number where the schema says string
  handler: () => ({ id: 1, displayName: 'Widget', createdAt: new Date(0) }),
});
const pemRoute = defineRoute({
  ...widgetRoute,
  path: '/api/v1/widgets/{id}/pem',
  operationId: 'getWidgetPem',
  responses: { 200: { description: 'PEM', contentType: 'application/pem-certificate-chain' } },
  handler: () => '-----BEGIN CERTIFICATE-----\n',
});
defineRoute({
  ...pemRoute,
  // @ts-expect-error a route that declares PEM sends text or bytes, not an object
  handler: () => ({ pem: '' }),
});
defineRoute({
  ...widgetRoute,
  responses: { 204: { description: 'Deleted' } },
  // @ts-expect-error a route that declares no body returns nothing
  handler: () => ({ deleted: true }),
});

function sent(route: AnyRouteSpec, statusCode: number, payload: unknown, contentType = 'application/json') {
  return { route, statusCode, contentType, payload, errorAnswer: undefined };
}

describe('route specs and the response check', () => {
  it('documents 2xx schemas, raw content types and the error envelope for every route', () => {
    const doc = buildOpenApiDocument([widgetRoute, pemRoute] as AnyRouteSpec[], { version: '1' });
    const responses = doc.paths['/api/v1/widgets/{id}']?.get as { responses: Record<string, { content?: object }> };
    expect(Object.keys(responses.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
      '503',
    ]);
    for (const status of ['409', '500', '503'])
      expect(JSON.stringify(responses.responses[status])).toContain('#/components/schemas/Error');
  });

  it('accepts what the route declares and reports what it does not', () => {
    const check = createResponseSchemaCheck();
    check.routes([widgetRoute as AnyRouteSpec]);
    const route = widgetRoute as AnyRouteSpec;
    check.check(sent(route, 200, JSON.stringify({ id: 'w1', display_name: 'W', created_at: '1970-01-01T00:00:00Z' })));
    check.check(sent(route, 404, JSON.stringify({ error: 'not_found', message: 'no widget', request_id: 'r1' })));
    expect(check.report().mismatches).toEqual([]);

    check.check(sent(route, 200, JSON.stringify({ id: 'w1', display_name: 'W' })));
    check.check(sent(route, 200, JSON.stringify({ id: 'w1', display_name: 'W', created_at: 'x', extra: 1 })));
    check.check(sent(route, 500, JSON.stringify({ message: 'boom' })));
    check.check(sent(route, 201, JSON.stringify({})));
    check.check(sent(pemRoute as AnyRouteSpec, 200, '{}', 'application/json'));
    const problems = check.report().mismatches.map((m) => `${m.statusCode} ${m.problem}`);
    expect(problems).toEqual([
      expect.stringMatching(/^200 .*created_at/),
      expect.stringMatching(/^200 .*additional properties.*extra/),
      expect.stringMatching(/^500 .*error/),
      '201 status 201 is not declared',
      '200 content type application/json instead of application/pem-certificate-chain',
    ]);
    expect(check.report().exercised).toEqual({ getWidget: [200, 201, 404, 500], getWidgetPem: [200] });
  });

  it("checks a protocol group's errors against the group's own error answer (an RFC 7807 problem), not the envelope", () => {
    const check = createResponseSchemaCheck();
    const route = widgetRoute as AnyRouteSpec;
    const errorAnswer = {
      description: 'problem',
      contentType: 'application/problem+json',
      schema: z.object({ type: z.string(), detail: z.string(), status: z.number() }),
    };
    const problem = JSON.stringify({ type: 'urn:ietf:params:acme:error:malformed', detail: 'bad', status: 400 });
    check.check({ ...sent(route, 400, problem, 'application/problem+json'), errorAnswer });
    expect(check.report().mismatches).toEqual([]);
    check.check({ ...sent(route, 400, JSON.stringify({ error: 'x', message: 'y', request_id: 'r' })), errorAnswer });
    check.check({
      ...sent(route, 403, JSON.stringify({ detail: 'no type' }), 'application/problem+json'),
      errorAnswer,
    });
    expect(check.report().mismatches.map((m) => `${m.statusCode} ${m.problem}`)).toEqual([
      '400 content type application/json instead of application/problem+json',
      expect.stringMatching(/^403 .*type/),
    ]);
  });
});
