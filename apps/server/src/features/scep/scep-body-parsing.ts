import type { FastifyInstance } from 'fastify';

export const SCEP_CONTENT_TYPES = ['application/x-pki-message', 'application/octet-stream'];

/**
 * SCEP POST bodies are raw DER. Clients label them application/x-pki-message, octet-stream, or not
 * at all (strongSwan's pki sends no Content-Type), so unlabelled POSTs to /scep are read as PKIMessages.
 */
export function installScepBodyParsing(app: FastifyInstance): void {
  app.addContentTypeParser(SCEP_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' && !request.headers['content-type'] && /^\/scep(-mtls)?(\/|\?|$)/.test(request.url)) {
      request.headers['content-type'] = 'application/x-pki-message';
    }
  });
}
