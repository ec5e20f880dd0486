import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { PageFallback } from '../features/server-feature.js';
import type { ServerLogger } from '../observability/logger.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { Authenticator } from './authentication.js';
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  capConnectionsPerAddress,
  fastifyServerOptions,
  nodeServerOptions,
} from './connection-limits.js';
import { ServiceError } from '../shared/service-errors.js';
import { handleError, sendError, writeClientError } from './http-errors.js';
import { jsonProblem, urlProblem } from './input-limits.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  type AnyRouteSpec,
  openApiPath,
  type ResponseSpec,
  type RouteGroup,
  restOfPathParameter,
} from './route-spec.js';
import { installResponseHeaders } from './security-headers.js';
import { toWire } from './wire-format.js';

export interface HttpAppOptions {
  /** Every route of this listener, in groups: each group is its own scope (body parsers, error format). */
  groups: readonly RouteGroup[];
  authenticator: Authenticator;
  /** Per client address: failed authentications. */
  rateLimiter?: RateLimiter;
  /** Per API key (default: `rateLimiter`). */
  userRateLimiter?: RateLimiter;
  corsOrigins: readonly string[];
  bodyLimit: number;
  /** Timeouts, keep-alive and per-address connection limits (default: the documented defaults). */
  connectionLimits?: ConnectionLimits;
  logger: ServerLogger;
  metrics?: ServerMetrics;
  /** requestCert: ask for (but do not require) a client certificate; EST verifies it per request. */
  tls?: { cert: string; key: string; requestCert?: boolean };
  /** Sees every answer a route spec sends (tests check them against the declared schemas). */
  responseCheck?: ResponseCheck;
  /** Tried in order for a request no route matched (the dashboard's client-side paths); then the 404 envelope. */
  fallbacks?: readonly PageFallback[];
}

/** One answer of a route spec, as sent: what a response check compares with the route's declaration. */
export interface SentResponse {
  route: AnyRouteSpec;
  statusCode: number;
  contentType: string | undefined;
  payload: unknown;
  /** What this route's undeclared errors are (its protocol's own documents); else `{error, message, request_id}`. */
  errorAnswer: ResponseSpec | undefined;
}
/** Sees the routes an app serves and every answer they send (tests check them against the declarations). */
export interface ResponseCheck {
  routes(routes: readonly AnyRouteSpec[]): void;
  check(response: SentResponse): void;
}

/** Where a route keeps its spec in fastify's per-route config (fastify copies the config object, not its values). */
const ROUTE_SPEC = Symbol('certctl.routeSpec');
/** How the route's group answers errors when the route declares nothing else (RFC 7807, EST text). */
const ERROR_ANSWER = Symbol('certctl.errorAnswer');

const SERVED = new WeakMap<FastifyInstance, string[]>();

/** Every `METHOD /path` the app serves (HEAD only where a spec declares it), in OpenAPI template syntax: what the parity test checks. */
export function servedRoutes(app: FastifyInstance): string[] {
  return SERVED.get(app) ?? [];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Longest path segment (an id is at most 128 characters; a base64 OCSP request in a GET path fits). */
const MAX_PARAM_LENGTH = 4096;
const MAX_PATH_LENGTH = 8192;

/** `{id}` becomes `:id`; a trailing `{name*}` (the rest of the path) becomes fastify's `*`. */
const toFastifyPath = (path: string) => path.replace(/\{[^}]+\*\}$/, '*').replace(/\{([^}]+)\}/g, ':$1');

/** Fastify names a rest-of-path parameter `*`; the route spec names it (`{request*}` is `request`). */
function paramsOf(route: AnyRouteSpec, params: unknown): unknown {
  const rest = restOfPathParameter(route.path);
  if (!rest || params === null || typeof params !== 'object' || !('*' in params)) return params;
  const { '*': value, ...named } = params as Record<string, unknown>;
  return { ...named, [rest]: value };
}

function successStatus(route: AnyRouteSpec): number {
  return Number(Object.keys(route.responses).find((s) => s.startsWith('2')) ?? 200);
}

export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  // Request ids: a random prefix per app and a counter. They only have to be unique, and reading
  // 8 random bytes per request cost a tenth of an OCSP answer's time (profiled under wrk).
  const idPrefix = `req_${randomBytes(6).toString('hex')}`;
  let idSequence = 0;
  const nextId = () => {
    idSequence = (idSequence + 1) % Number.MAX_SAFE_INTEGER;
    return `${idPrefix}${idSequence.toString(36)}`;
  };
  const limits = options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS;
  const serverOptions: FastifyServerOptions & { https?: unknown; http?: unknown } = {
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    ...fastifyServerOptions(limits),
    requestIdHeader: false,
    // Ids are at most 128 characters (a longer path segment is a 414 in the envelope, see onRequest).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Bad `%` escapes and other router failures: the one error handler, so the envelope.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
    // Errors Node's parser raises before there is a request (431 headers too large, 400 bad request):
    // still the envelope, with a request id of its own.
    clientErrorHandler: (error, socket) => writeClientError(error, socket, nextId()),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming;
      return nextId();
    },
    ...(options.tls ? {} : { http: nodeServerOptions(limits) }),
    ...(options.tls && {
      https: {
        ...nodeServerOptions(limits),
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: 'TLSv1.2',
        ...(options.tls.requestCert && { requestCert: true, rejectUnauthorized: false }),
      },
    }),
  };
  const app = Fastify(serverOptions as FastifyServerOptions) as unknown as FastifyInstance;
  capConnectionsPerAddress(app.server, limits.maxConnectionsPerIp);
  const served: string[] = [];
  SERVED.set(app, served);
  // fastify adds a HEAD route beside every GET; only HEAD routes declared by a spec count as served.
  const declaredHead = new Set(
    options.groups.flatMap((g) => g.routes.filter((r) => r.method === 'HEAD').map((r) => toFastifyPath(r.path))),
  );
  // Served routes are named as the OpenAPI document names them (a rest-of-path `*` by its parameter).
  const documentedPath = new Map(
    options.groups.flatMap((g) => g.routes.map((r) => [toFastifyPath(r.path), openApiPath(r.path)] as const)),
  );
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD' || declaredHead.has(route.url))
        served.push(`${method} ${documentedPath.get(route.url) ?? route.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  });
  acceptEmptyJsonBodies(app);
  installResponseHeaders(app, { corsOrigins: options.corsOrigins, hsts: Boolean(options.tls) });
  app.setErrorHandler((error, request, reply) =>
    handleError(error, request, reply, () => options.metrics?.databaseUnavailable.inc({ source: 'http' })),
  );
  // PostgreSQL refuses NUL, and no id or filter holds a control character: refused before routing,
  // on every listener and route (public PKI ones too), in the envelope.
  app.addHook('onRequest', async (request, reply) => {
    const problem = urlProblem(request.url);
    if (problem) return sendError(reply, 400, 'bad_request', problem);
    const path = request.url.split('?', 1)[0] ?? '';
    if (path.length > MAX_PATH_LENGTH || path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH))
      return sendError(reply, 414, 'uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`);
  });
  app.setNotFoundHandler((request, reply) => {
    for (const fallback of options.fallbacks ?? []) {
      const answered = fallback(request, reply);
      if (answered) return answered;
    }
    return sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    options.metrics?.httpRequests.inc(labels);
    options.metrics?.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  const responseCheck = options.responseCheck;
  responseCheck?.routes(options.groups.flatMap((group) => group.routes));
  if (responseCheck)
    app.addHook('onSend', async (request, reply, payload) => {
      const config = request.routeOptions.config as { [ROUTE_SPEC]?: AnyRouteSpec; [ERROR_ANSWER]?: ResponseSpec };
      const route = config[ROUTE_SPEC];
      if (route) {
        const contentType = reply.getHeader('content-type');
        responseCheck.check({
          route,
          statusCode: reply.statusCode,
          contentType: typeof contentType === 'string' ? contentType : undefined,
          payload,
          errorAnswer: config[ERROR_ANSWER],
        });
      }
      return payload;
    });

  for (const group of options.groups) await app.register(async (scope) => registerGroup(scope, group, options));
  return app;
}

/**
 * `curl -X POST -H 'Content-Type: application/json'` with no `-d` is how people call action routes
 * (renew, approve, requeue ...): an empty JSON body reads as no body, so the route's own schema
 * decides (an action's all-optional body accepts it; a create route names its missing fields).
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return parseJson(request, text, done);
  });
}

function registerGroup(scope: FastifyInstance, group: RouteGroup, options: HttpAppOptions): void {
  const { bodies } = group;
  if (bodies) {
    if (bodies.raw === '*') scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      bodies.raw === '*' ? '*' : [...bodies.raw],
      { parseAs: 'buffer', ...(bodies.bodyLimit !== undefined && { bodyLimit: bodies.bodyLimit }) },
      (_request, body, done) => done(null, body),
    );
    const assumed = bodies.defaultContentType;
    if (assumed) {
      scope.addHook('onRequest', async (request) => {
        if (request.method === 'POST' && !request.headers['content-type']) request.headers['content-type'] = assumed;
      });
    }
  }
  if (group.errorHandler && !group.errorAnswer)
    throw new Error(
      `route group ${group.name}: an errorHandler needs the errorAnswer it writes (for the response check)`,
    );
  if (group.errorHandler) scope.setErrorHandler(group.errorHandler);
  const explicitHead = new Set(group.routes.filter((r) => r.method === 'HEAD').map((r) => r.path));
  for (const route of group.routes) {
    scope.route({
      method: route.method,
      url: toFastifyPath(route.path),
      config: { [ROUTE_SPEC]: route, [ERROR_ANSWER]: group.errorAnswer },
      ...(route.method === 'GET' && explicitHead.has(route.path) && { exposeHeadRoute: false }),
      ...(route.bodyLimit !== undefined && { bodyLimit: route.bodyLimit }),
      handler: async (request, reply) => {
        const actor = await options.authenticator.authenticate(request, route.access).catch((error: unknown) => {
          // Failed logins spend the caller's address bucket, which slows key guessing.
          const status = (error as { status?: number }).status;
          if (status === 401 && options.rateLimiter && !options.rateLimiter.take(`ip:${request.ip}`).allowed) {
            throw new ServiceError(429, 'rate_limited', 'too many failed authentication attempts from this address');
          }
          throw error;
        });
        const userLimiter = options.userRateLimiter ?? options.rateLimiter;
        if (userLimiter && route.access !== 'public') {
          const verdict = userLimiter.take(`key:${actor.name}`);
          if (!verdict.allowed) {
            reply.header('retry-after', String(verdict.retryAfterSeconds));
            return sendError(
              reply,
              429,
              'rate_limited',
              `rate limit exceeded for "${actor.name}"; retry in ${verdict.retryAfterSeconds}s`,
            );
          }
        }
        const params = route.params ? route.params.parse(paramsOf(route, request.params)) : request.params;
        const query = route.query ? route.query.parse(request.query ?? {}) : request.query;
        const raw = request.body;
        if (raw !== null && typeof raw === 'object' && !(raw instanceof Uint8Array)) {
          const problem = jsonProblem(raw);
          if (problem) throw new ServiceError(400, 'validation_failed', `invalid request: ${problem}`);
        }
        const body = route.body ? route.body.parse(raw ?? {}) : undefined;
        const result = await route.handler({ params, query, body, actor, request, reply });
        if (reply.sent) return reply;
        const status = reply.statusCode !== 200 ? reply.statusCode : successStatus(route);
        if (result === undefined || status === 204) return reply.code(status).send();
        if (typeof result === 'string' || result instanceof Uint8Array) return reply.code(status).send(result);
        return reply.code(status).send(toWire(result));
      },
    });
  }
}
