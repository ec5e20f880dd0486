import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { ServerLogger } from '../observability/logger.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { Authenticator } from './authentication.js';
import { ServiceError } from '../services/service-errors.js';
import { handleError, sendError } from './http-errors.js';
import type { RateLimiter } from './rate-limiter.js';
import type { AnyRouteSpec } from './route-spec.js';
import { installResponseHeaders } from './security-headers.js';
import { installScepBodyParsing } from '../scep/scep-body-parsing.js';
import { toWire } from './wire-format.js';

export interface HttpAppOptions {
  routes: readonly AnyRouteSpec[];
  authenticator: Authenticator;
  rateLimiter?: RateLimiter;
  corsOrigins: readonly string[];
  bodyLimit: number;
  logger: ServerLogger;
  metrics?: ServerMetrics;
  /** requestCert: ask for (but do not require) a client certificate; EST verifies it per request. */
  tls?: { cert: string; key: string; requestCert?: boolean };
  /** Sees every answer a route spec sends (tests check them against the declared schemas). */
  responseCheck?: ResponseCheck;
}

/** One answer of a route spec, as sent: what a response check compares with the route's declaration. */
export interface SentResponse {
  route: AnyRouteSpec;
  statusCode: number;
  contentType: string | undefined;
  payload: unknown;
}
/** Sees the routes an app serves and every answer they send (tests check them against the declarations). */
export interface ResponseCheck {
  routes(routes: readonly AnyRouteSpec[]): void;
  check(response: SentResponse): void;
}

/** Where a route keeps its spec in fastify's per-route config (fastify copies the config object, not its values). */
const ROUTE_SPEC = Symbol('certctl.routeSpec');

const SERVED = new WeakMap<FastifyInstance, string[]>();

/** Every `METHOD /path` the app serves (HEAD excluded), in OpenAPI template syntax: what the parity test checks. */
export function servedRoutes(app: FastifyInstance): string[] {
  return SERVED.get(app) ?? [];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const toFastifyPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

function successStatus(route: AnyRouteSpec): number {
  return Number(Object.keys(route.responses).find((s) => s.startsWith('2')) ?? 200);
}

export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  // Request ids: a random prefix per app and a counter. They only have to be unique, and reading
  // 8 random bytes per request cost a tenth of an OCSP answer's time (profiled under wrk).
  const idPrefix = `req_${randomBytes(6).toString('hex')}`;
  let idSequence = 0;
  const serverOptions: FastifyServerOptions & { https?: unknown } = {
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming;
      idSequence = (idSequence + 1) % Number.MAX_SAFE_INTEGER;
      return `${idPrefix}${idSequence.toString(36)}`;
    },
    ...(options.tls && {
      https: {
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: 'TLSv1.2',
        ...(options.tls.requestCert && { requestCert: true, rejectUnauthorized: false }),
      },
    }),
  };
  const app = Fastify(serverOptions as FastifyServerOptions) as unknown as FastifyInstance;
  const served: string[] = [];
  SERVED.set(app, served);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') served.push(`${method} ${route.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  });
  // Binary protocol bodies reach their routes as a Buffer (DER OCSP requests).
  app.addContentTypeParser(['application/ocsp-request'], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  installScepBodyParsing(app);
  installResponseHeaders(app, { corsOrigins: options.corsOrigins, hsts: Boolean(options.tls) });
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
  app.addHook('onResponse', async (request, reply) => {
    options.metrics?.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  const responseCheck = options.responseCheck;
  responseCheck?.routes(options.routes);
  if (responseCheck)
    app.addHook('onSend', async (request, reply, payload) => {
      const route = (request.routeOptions.config as { [ROUTE_SPEC]?: AnyRouteSpec })[ROUTE_SPEC];
      if (route) {
        const contentType = reply.getHeader('content-type');
        responseCheck.check({
          route,
          statusCode: reply.statusCode,
          contentType: typeof contentType === 'string' ? contentType : undefined,
          payload,
        });
      }
      return payload;
    });

  for (const route of options.routes) {
    app.route({
      method: route.method,
      url: toFastifyPath(route.path),
      config: { [ROUTE_SPEC]: route },
      handler: async (request, reply) => {
        const actor = await options.authenticator.authenticate(request, route.access).catch((error: unknown) => {
          // Failed logins spend the caller's address bucket, which slows key guessing.
          const status = (error as { status?: number }).status;
          if (status === 401 && options.rateLimiter && !options.rateLimiter.take(`ip:${request.ip}`).allowed) {
            throw new ServiceError(429, 'rate_limited', 'too many failed authentication attempts from this address');
          }
          throw error;
        });
        if (options.rateLimiter && route.access !== 'public') {
          const verdict = options.rateLimiter.take(`key:${actor.name}`);
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
        const params = route.params ? route.params.parse(request.params) : request.params;
        const query = route.query ? route.query.parse(request.query ?? {}) : request.query;
        const body = route.body ? route.body.parse(request.body ?? {}) : undefined;
        const result = await route.handler({ params, query, body, actor, request, reply });
        if (reply.sent) return reply;
        const status = reply.statusCode !== 200 ? reply.statusCode : successStatus(route);
        if (result === undefined || status === 204) return reply.code(status).send();
        if (typeof result === 'string' || result instanceof Uint8Array) return reply.code(status).send(result);
        return reply.code(status).send(toWire(result));
      },
    });
  }
  return app;
}
