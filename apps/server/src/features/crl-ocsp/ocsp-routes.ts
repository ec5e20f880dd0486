import { z } from 'zod';
import { answerOcsp, cachedOcspAnswer, type OcspAnswer, ocspRequestForSerial } from './ocsp.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { buildOcspErrorResponse, decodeOcspGetPath } from '@certctl/pki';
import type { FastifyReply } from 'fastify';
import { allowPkiRequest } from './pki-rate-limit.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { resourceId } from '../../http/schemas/common.js';

const OCSP_RESPONSE = 'application/ocsp-response';
const issuerParam = resourceId;
const HEX_SERIAL = /^[0-9a-fA-F]{1,64}$/;

function send(reply: FastifyReply, answer: OcspAnswer, cacheable: boolean, now: Date): Buffer {
  reply.type(OCSP_RESPONSE);
  if (cacheable && answer.cache) {
    // RFC 5019 section 6: let HTTP caches keep the response until nextUpdate.
    const maxAge = Math.max(0, Math.floor((answer.cache.nextUpdate.getTime() - now.getTime()) / 1000));
    reply
      .header('cache-control', `max-age=${maxAge}, public, no-transform, must-revalidate`)
      .header('last-modified', answer.cache.thisUpdate.toUTCString())
      .header('expires', answer.cache.nextUpdate.toUTCString())
      .header('etag', answer.cache.etag);
  } else {
    reply.header('cache-control', 'no-cache, no-store');
  }
  return Buffer.isBuffer(answer.der) ? answer.der : Buffer.from(answer.der);
}

function safeDecodeUri(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function tryLater(reply: FastifyReply): Buffer {
  reply.code(429).type(OCSP_RESPONSE);
  return Buffer.from(buildOcspErrorResponse('tryLater'));
}

/** The per-address limit answers in OCSP's own terms: an unsigned tryLater response, not the JSON error envelope. */
const TRY_LATER = { description: 'Rate limited: an OCSP tryLater response', contentType: OCSP_RESPONSE } as const;

/** OCSP (RFC 6960 A.1, RFC 5019): POST a DER request, or GET it base64 in the path. Unauthenticated. */
export function ocspRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/.well-known/pki/ocsp/{issuer_id}',
      operationId: 'postOcsp',
      summary: 'OCSP request (application/ocsp-request body), answered with a signed application/ocsp-response',
      tags: ['pki'],
      access: 'public',
      params: z.object({ issuer_id: issuerParam }),
      responses: {
        200: {
          description: 'OCSP response (errors such as malformedRequest are OCSP responses too)',
          contentType: OCSP_RESPONSE,
        },
        429: TRY_LATER,
      },
      handler: async ({ params, request, reply }) => {
        if (!allowPkiRequest(deps, request, reply)) return tryLater(reply);
        const body = request.body;
        const der = Buffer.isBuffer(body) ? new Uint8Array(body) : new Uint8Array();
        return send(reply, await answerOcsp(deps, params.issuer_id, der), false, deps.now());
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/.well-known/pki/ocsp/{issuer_id}/{request*}',
      operationId: 'getOcsp',
      summary:
        'OCSP request as URL-encoded base64 DER in the path (RFC 6960 A.1; may contain "/"), or a hex serial; cacheable responses',
      tags: ['pki'],
      access: 'public',
      params: z.object({ issuer_id: issuerParam, request: z.string().min(1).max(16_384) }),
      responses: { 200: { description: 'OCSP response', contentType: OCSP_RESPONSE }, 429: TRY_LATER },
      handler: async ({ params, request, reply }) => {
        if (!allowPkiRequest(deps, request, reply)) return tryLater(reply);
        // Base64 may hold "/": take everything after the issuer id from the raw URL.
        const prefix = `/.well-known/pki/ocsp/${params.issuer_id}/`;
        const rawPath = request.url.split('?')[0]!;
        const encoded = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : params.request;
        let der: Uint8Array | undefined;
        if (HEX_SERIAL.test(encoded)) {
          // The serial form needs the issuer's CA certificate; without one this issuer is not served here.
          der = await ocspRequestForSerial(deps, params.issuer_id, encoded);
          if (!der)
            return send(
              reply,
              { der: buildOcspErrorResponse('unauthorized'), status: 'unauthorized' },
              false,
              deps.now(),
            );
        } else {
          // A request seen before is answered from its base64 text, before any decoding.
          const base64 = encoded.includes('%') ? safeDecodeUri(encoded) : encoded;
          const cached = base64 && (await cachedOcspAnswer(deps, params.issuer_id, base64));
          if (cached) return send(reply, cached, true, deps.now());
          try {
            der = decodeOcspGetPath(encoded);
          } catch {
            return send(
              reply,
              { der: buildOcspErrorResponse('malformedRequest'), status: 'malformedRequest' },
              false,
              deps.now(),
            );
          }
        }
        return send(reply, await answerOcsp(deps, params.issuer_id, der), true, deps.now());
      },
    }),
  ];
}
