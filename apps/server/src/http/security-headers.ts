import type { FastifyInstance } from 'fastify';

/** Headers on every response (errors included), CORS denied unless an origin is listed, request ids echoed. */
export function installResponseHeaders(
  app: FastifyInstance,
  options: { corsOrigins: readonly string[]; hsts: boolean },
): void {
  const allowed = new Set(options.corsOrigins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && allowed.has(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      if (request.method === 'OPTIONS') {
        reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
        reply.header('access-control-allow-headers', 'authorization, content-type, x-request-id');
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', String(request.id));
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    // The dashboard's pages set their own policy (scripts and styles from 'self'); everything else loads nothing.
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (options.hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
