import { MalformedInputError } from '@certctl/core';
import { buildCertsOnlySignedData, pemToDer } from '@certctl/pki';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientCertificateRefused, verifiedClientCertificate } from '../../http/client-certificate.js';
import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { issuerCaChain } from '../issuers/issuers.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type FailInfoName, SCEP_CAPABILITIES } from './scep-attributes.js';
import { buildFailureCertRep, buildSuccessCertRep } from './scep-cert-rep.js';
import type { ScepEndpoint, ScepEndpoints } from './scep-endpoints.js';
import { enrollScep } from './scep-enrollment.js';
import { ScepFailure } from './scep-failure.js';
import { openScepRequest, readScepHeader } from './scep-message.js';

const query = z.object({ operation: z.string().max(64).optional(), message: z.string().max(1_500_000).optional() });
const params = z.object({ profile: z.string().max(64) });

function plain(reply: FastifyReply, status: number, text: string) {
  reply.code(status).type('text/plain; charset=utf-8');
  return `${text}\n`;
}

/** GET `message=`: base64 (standard or URL-safe); a `+` the query decoder turned into a space comes back. */
function decodeGetMessage(message: string): Uint8Array {
  const b64 = message.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return new Uint8Array(0);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

async function pkiOperation(deps: ServiceDeps, endpoint: ScepEndpoint, body: Uint8Array, reply: FastifyReply) {
  let header: ReturnType<typeof readScepHeader>;
  try {
    header = readScepHeader(body);
  } catch (error) {
    // Not a PKIMessage: nothing to address a CertRep to.
    if (MalformedInputError.isInstance(error)) return plain(reply, 400, 'the request is not a SCEP PKIMessage');
    throw error;
  }
  reply.type('application/x-pki-message');
  try {
    const request = await openScepRequest(body, endpoint.ra);
    const issued = await enrollScep({ deps, profile: endpoint.profile, intune: endpoint.intune }, request);
    try {
      return Buffer.from(
        await buildSuccessCertRep({
          ra: endpoint.ra,
          request,
          issuedCertificatePem: issued.certificatePem,
          chainPem: [],
        }),
      );
    } catch (error) {
      deps.logger.warn(
        { transaction_id: header.transactionId, error: (error as Error).message },
        'SCEP reply could not be encrypted to the requester',
      );
      return Buffer.from(await buildFailureCertRep(endpoint.ra, header, 'badAlg'));
    }
  } catch (error) {
    // Every refusal after the header was read is a FAILURE CertRep: a SCEP client reads no HTTP error
    // body, and internal messages never reach it.
    let failInfo: FailInfoName = 'badRequest';
    if (error instanceof ScepFailure) {
      failInfo = error.failInfo;
      deps.logger.info(
        {
          scep_profile: endpoint.profile.path || 'default',
          transaction_id: header.transactionId,
          fail_info: error.failInfo,
          reason: error.detail,
        },
        'SCEP request refused',
      );
    } else if (MalformedInputError.isInstance(error)) {
      // Authentic envelope, unreadable contents (e.g. a signer certificate only the lenient CMS reader accepts).
      deps.logger.info(
        { transaction_id: header.transactionId, reason: error.message },
        'SCEP request refused: unreadable contents',
      );
    } else {
      deps.logger.error({ transaction_id: header.transactionId, err: error }, 'SCEP request failed');
    }
    return Buffer.from(await buildFailureCertRep(endpoint.ra, header, failInfo));
  }
}

/** Why the `/scep-mtls` route refuses this connection, or undefined when its client certificate chains to the profile's bundle. */
async function mtlsRefusal(endpoint: ScepEndpoint, request: FastifyRequest): Promise<string | undefined> {
  if (!endpoint.mtls) return undefined;
  try {
    const certificate = await verifiedClientCertificate(request, endpoint.mtls);
    return certificate ? undefined : 'this SCEP route requires a TLS client certificate';
  } catch (error) {
    if (error instanceof ClientCertificateRefused) return error.message;
    throw error;
  }
}

/**
 * `/scep` and `/scep/{profile}`: GetCACaps, GetCACert and PKIOperation (GET and POST), RFC 8894.
 * With `mtls` (the HTTPS listener), also `/scep-mtls` and `/scep-mtls/{profile}` for the profiles
 * that enable it: the same operations, for clients whose TLS certificate chains to the profile's
 * client CA bundle (checked on every request; the SCEP checks still apply).
 */
export function scepRoutes(
  deps: ServiceDeps,
  endpoints: ScepEndpoints,
  options: { mtls?: boolean } = {},
): AnyRouteSpec[] {
  if (endpoints.size === 0) return [];

  const handle = async (
    profilePath: string,
    operation: string | undefined,
    message: string | undefined,
    rawBody: unknown,
    reply: FastifyReply,
    mtlsRequest?: FastifyRequest,
  ) => {
    const endpoint = endpoints.get(profilePath);
    if (!endpoint) return plain(reply, 404, `no SCEP profile "${profilePath}"`);
    if (mtlsRequest) {
      if (!endpoint.mtls) return plain(reply, 404, `SCEP profile "${profilePath || 'default'}" has no mTLS route`);
      const refusal = await mtlsRefusal(endpoint, mtlsRequest);
      if (refusal) return plain(reply, 403, refusal);
    }
    switch (operation) {
      case 'GetCACaps':
        return plain(reply, 200, SCEP_CAPABILITIES.join('\n'));
      case 'GetCACert': {
        const chain = (await issuerCaChain(deps, endpoint.profile.issuerId)).map((pem) => pemToDer(pem, 'CERTIFICATE'));
        reply.type('application/x-x509-ca-ra-cert');
        return Buffer.from(buildCertsOnlySignedData([endpoint.ra.certificateDer, ...chain]));
      }
      case 'PKIOperation': {
        const body =
          rawBody instanceof Uint8Array
            ? new Uint8Array(rawBody)
            : message !== undefined
              ? decodeGetMessage(message)
              : new Uint8Array(0);
        return pkiOperation(deps, endpoint, body, reply);
      }
      default:
        return plain(reply, 400, `unsupported operation "${operation ?? ''}" (GetCACaps, GetCACert, PKIOperation)`);
    }
  };

  const common = {
    tags: ['scep'],
    access: 'public' as const,
    query,
    responses: {
      200: {
        description: 'SCEP answer: capabilities (GetCACaps), the RA and CA certificates (GetCACert) or a CertRep',
        contentType: ['text/plain', 'application/x-x509-ca-ra-cert', 'application/x-pki-message'],
      },
      // SCEP clients read a line of text, not the API's JSON envelope.
      400: { description: 'Not a SCEP request', contentType: 'text/plain' },
      403: { description: 'The client certificate is not trusted for this profile', contentType: 'text/plain' },
      404: { description: 'No such SCEP profile (or no mTLS route for it)', contentType: 'text/plain' },
    },
  };
  const routes = [
    defineRoute({
      ...common,
      method: 'GET',
      path: '/scep',
      operationId: 'scepGet',
      summary: 'SCEP (RFC 8894), default profile',
      handler: ({ query: q, reply }) => handle('', q.operation, q.message, undefined, reply),
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/scep',
      operationId: 'scepPost',
      summary: 'SCEP PKIOperation by POST, default profile',
      handler: ({ query: q, request, reply }) => handle('', q.operation, undefined, request.body, reply),
    }),
    defineRoute({
      ...common,
      params,
      method: 'GET',
      path: '/scep/{profile}',
      operationId: 'scepProfileGet',
      summary: 'SCEP (RFC 8894) for a named profile',
      handler: ({ params: p, query: q, reply }) => handle(p.profile, q.operation, q.message, undefined, reply),
    }),
    defineRoute({
      ...common,
      params,
      method: 'POST',
      path: '/scep/{profile}',
      operationId: 'scepProfilePost',
      summary: 'SCEP PKIOperation by POST for a named profile',
      handler: ({ params: p, query: q, request, reply }) =>
        handle(p.profile, q.operation, undefined, request.body, reply),
    }),
  ];
  if (!options.mtls) return routes;
  const mtlsPaths = [...endpoints.values()].filter((e) => e.mtls).map((e) => e.profile.path);
  if (mtlsPaths.includes('')) {
    routes.push(
      defineRoute({
        ...common,
        method: 'GET',
        path: '/scep-mtls',
        operationId: 'scepMtlsGet',
        summary: 'SCEP for clients with a TLS certificate from the client CA bundle, default profile',
        handler: ({ query: q, request, reply }) => handle('', q.operation, q.message, undefined, reply, request),
      }),
      defineRoute({
        ...common,
        method: 'POST',
        path: '/scep-mtls',
        operationId: 'scepMtlsPost',
        summary: 'SCEP PKIOperation by POST over mTLS, default profile',
        handler: ({ query: q, request, reply }) => handle('', q.operation, undefined, request.body, reply, request),
      }),
    );
  }
  if (mtlsPaths.some((path) => path !== '')) {
    routes.push(
      defineRoute({
        ...common,
        params,
        method: 'GET',
        path: '/scep-mtls/{profile}',
        operationId: 'scepMtlsProfileGet',
        summary: 'SCEP for clients with a TLS certificate from the profile client CA bundle',
        handler: ({ params: p, query: q, request, reply }) =>
          handle(p.profile, q.operation, q.message, undefined, reply, request),
      }),
      defineRoute({
        ...common,
        params,
        method: 'POST',
        path: '/scep-mtls/{profile}',
        operationId: 'scepMtlsProfilePost',
        summary: 'SCEP PKIOperation by POST over mTLS for a named profile',
        handler: ({ params: p, query: q, request, reply }) =>
          handle(p.profile, q.operation, undefined, request.body, reply, request),
      }),
    );
  }
  return routes;
}
