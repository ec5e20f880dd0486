import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sendError } from '../../http/http-errors.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import type { WebBundle, WebFile } from './web-assets.js';

/**
 * The dashboard's pages may load only what the server itself serves: no inline script or style, no
 * other origin, no frames, no plugins. The API answers keep their stricter `default-src 'none'`.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Hashed file names change with their content: a year, immutable. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed files: always revalidated. */
const INDEX_CACHE = 'no-cache';
/** favicon and friends keep their names: an hour. */
const TOP_CACHE = 'public, max-age=3600';

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const ASSET_TYPES = [
  'text/javascript',
  'text/css',
  'image/svg+xml',
  'image/png',
  'image/x-icon',
  'font/woff2',
  'application/json',
  'text/plain',
  'application/octet-stream',
] as const;

/** Paths that belong to the API and the protocols: an unknown one there is a 404, never the dashboard. */
const NOT_PAGES = /^\/(api|acme|scep|\.well-known|metrics|health|ready)(\/|$)/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>certctl</title></head><body>
<h1>certctl</h1><p>The web dashboard is not built. Build it with <code>pnpm --filter @certctl/web build</code>
(or run <code>npm start</code> from a checkout), or point <code>CERTCTL_WEB_DIR</code> at a built dashboard.
The API is at <code>/api/v1</code>.</p></body></html>`;

export function sendWebFile(request: FastifyRequest, reply: FastifyReply, file: WebFile, cache: string): FastifyReply {
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  reply.header('content-type', file.contentType);
  reply.header('cache-control', cache);
  reply.header('content-security-policy', DASHBOARD_CSP);
  reply.header('vary', 'Accept-Encoding');
  if (file.gzip && acceptsGzip) {
    reply.header('content-encoding', 'gzip');
    return reply.code(200).send(file.gzip);
  }
  return reply.code(200).send(file.body);
}

function sendIndex(request: FastifyRequest, reply: FastifyReply, bundle: WebBundle | undefined): FastifyReply {
  if (!bundle) {
    reply.header('cache-control', 'no-store');
    reply.header('content-type', 'text/html; charset=utf-8');
    return reply.code(200).send(NOT_BUILT);
  }
  return sendWebFile(request, reply, bundle.index, INDEX_CACHE);
}

export function webRoutes(bundle: WebBundle | undefined): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/',
      operationId: 'getDashboard',
      summary: 'The web dashboard (index.html; a page saying how to build it when it is not built)',
      tags: ['dashboard'],
      access: 'public',
      responses: { 200: { description: 'The dashboard page', contentType: 'text/html' } },
      handler: ({ request, reply }) => sendIndex(request, reply, bundle),
    }),
    defineRoute({
      method: 'GET',
      path: '/assets/{file}',
      operationId: 'getDashboardAsset',
      summary: "One of the dashboard's hashed script, style or image files (cached for a year)",
      tags: ['dashboard'],
      access: 'public',
      params: z.object({ file: z.string().regex(ASSET_NAME) }),
      responses: {
        200: { description: 'The file', contentType: ASSET_TYPES },
        404: { description: 'No such file in the built dashboard' },
      },
      handler: ({ params, request, reply }) => {
        const file = bundle?.assets.get(params.file);
        if (!file) return sendError(reply, 404, 'not_found', `no dashboard asset ${params.file}`);
        return sendWebFile(request, reply, file, ASSET_CACHE);
      },
    }),
  ];
}

/**
 * A GET no route matched: a file at the top of the build (favicon), or one of the dashboard's own
 * client-side paths (`/certificates/abc`) asked for by a browser, which gets index.html. API and
 * protocol paths, and callers that do not ask for HTML, keep the 404 envelope.
 */
export function webFallback(bundle: WebBundle | undefined) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const path = request.url.split('?', 1)[0] ?? '';
    if (NOT_PAGES.test(path)) return undefined;
    const name = path.slice(1);
    const top = ASSET_NAME.test(name) ? bundle?.top.get(name) : undefined;
    if (top) return sendWebFile(request, reply, top, TOP_CACHE);
    if (!/\btext\/html\b/.test(String(request.headers.accept ?? ''))) return undefined;
    return sendIndex(request, reply, bundle);
  };
}
