import { certificateFingerprint, type ParsedCertificate } from '@certctl/pki';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AnyRouteSpec, defineRoute, type ResponseMap, type RouteGroup } from '../../http/route-spec.js';
import type { CertificateProfile } from '../../db/tables.js';
import { createRateLimiter } from '../../http/rate-limiter.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { checkBasicAuth, tlsExporterBinding, verifiedEstClientCertificate } from './est-auth.js';
import type { EstConfig, EstProfileConfig } from './est-config.js';
import { buildCsrAttrs } from './est-csr-attrs.js';
import { ASYMMETRIC_DECRYPT_KEY_ID, encryptKeyForClient, keyRecipient } from './est-encrypted-key.js';
import { csrNames, enrollNew, reenroll } from './est-enrollment.js';
import { EstError } from './est-error.js';
import { createSlidingWindowLimiter, type SlidingWindowLimiter } from './est-limits.js';
import { generateKeyAndCsr } from './est-server-keygen.js';
import { loadTrustBundle, type TrustBundle } from '../../config/trust-bundle-file.js';
import { base64Lines, certsOnlyBody, multipartMixed, PKCS7_CERTS_ONLY, readCsrBody } from './est-wire.js';

const DAY_MS = 86_400_000;

/** EST refusals are one line of text with the status (RFC 7030 4.2.3 leaves the body to the server). */
const EST_ERROR = { description: 'EST error (a line of text)', contentType: 'text/plain' };
const CERTS_ONLY_ANSWER: ResponseMap = {
  200: { description: 'Certificates (base64 PKCS#7 certs-only, RFC 7030)', contentType: PKCS7_CERTS_ONLY },
};
const SERVER_KEYGEN_ANSWER: ResponseMap = {
  200: {
    description:
      'The private key (PKCS#8, or CMS-encrypted to the client) and the certificate (PKCS#7), base64, as multipart/mixed',
    contentType: 'multipart/mixed',
  },
};

interface ProfileState {
  config: EstProfileConfig;
  bundle?: TrustBundle;
  perPrincipal: SlidingWindowLimiter;
}

interface Shared {
  deps: ServiceDeps;
  tls: { cert: string; key: string };
  failedBasic: SlidingWindowLimiter;
  keygen: ReturnType<typeof createRateLimiter>;
}

type Route = 'standard' | 'mtls';

function sendEstError(reply: FastifyReply, error: EstError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).type('text/plain; charset=utf-8').send(`${error.message}\n`);
}

async function certificateProfile(deps: ServiceDeps, est: EstProfileConfig): Promise<CertificateProfile | undefined> {
  if (!est.profileId) return undefined;
  const row = await deps.db
    .selectFrom('certificateProfiles')
    .selectAll()
    .where('id', '=', est.profileId)
    .executeTakeFirst();
  if (!row)
    throw new EstError(
      500,
      `EST profile ${est.pathId || 'default'} names certificate profile ${est.profileId}, which does not exist`,
    );
  return row;
}

/**
 * Who is enrolling. Standard route: anonymous when the profile lists no auth mode, else Basic or
 * a client certificate as listed. mTLS route: a client certificate that verifies against the
 * profile's trust bundle, re-checked on every request.
 */
async function authenticate(
  request: FastifyRequest,
  state: ProfileState,
  shared: Shared,
  route: Route,
): Promise<{ mode: string; clientCertificate?: ParsedCertificate }> {
  const { config } = state;
  const clientCertificate = state.bundle ? await verifiedEstClientCertificate(request, state.bundle) : undefined;
  if (route === 'mtls') {
    if (!clientCertificate)
      throw new EstError(403, 'this route requires a client certificate issued under the profile trust bundle');
    return { mode: 'mtls', clientCertificate };
  }
  if (config.authModes.length === 0) return { mode: 'anonymous', clientCertificate };
  if (config.authModes.includes('mtls') && clientCertificate) return { mode: 'mtls', clientCertificate };
  if (config.authModes.includes('basic')) {
    checkBasicAuth(request, config, shared.failedBasic);
    return { mode: 'basic', clientCertificate };
  }
  throw new EstError(403, 'this EST profile requires a client certificate');
}

function checkChannelBinding(
  request: FastifyRequest,
  config: EstProfileConfig,
  challengePassword: string | undefined,
): void {
  if (!config.channelBindingRequired) return;
  const binding = tlsExporterBinding(request);
  if (!binding) throw new EstError(403, 'this EST profile requires TLS 1.3 with RFC 9266 tls-exporter channel binding');
  if (challengePassword !== binding.toString('base64'))
    throw new EstError(
      403,
      "the CSR challengePassword does not carry this connection's tls-exporter channel binding (RFC 9266)",
    );
}

function checkPrincipalLimit(state: ProfileState, commonName: string, ip: string): string {
  const key = `${commonName.toLowerCase()}|${ip}`;
  if (!state.perPrincipal.allows(key))
    throw new EstError(
      429,
      `enrollment limit reached for "${commonName}" from ${ip} (${state.config.ratePerPrincipal24h} per 24 h)`,
      { 'retry-after': '3600' },
    );
  return key;
}

function profileRoutes(state: ProfileState, shared: Shared, route: Route, prefix: string): AnyRouteSpec[] {
  const { deps } = shared;
  const { config } = state;
  const handle =
    (work: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await work(request, reply);
      } catch (error) {
        if (error instanceof EstError) {
          request.log.info(
            { est_profile: config.pathId || 'default', status: error.status, reason: error.message },
            'EST request refused',
          );
          return sendEstError(reply, error);
        }
        request.log.error({ err: error }, 'EST request failed');
        return sendEstError(reply, new EstError(500, 'internal error; see the server log'));
      }
    };
  const sendCerts = (reply: FastifyReply, certificates: string[]) =>
    reply
      .code(200)
      .header('content-type', PKCS7_CERTS_ONLY)
      .header('content-transfer-encoding', 'base64')
      .send(certsOnlyBody(certificates));

  const profileName = state.config.pathId || 'default';
  const operation = (name: string) =>
    `est${name}${route === 'mtls' ? 'Mtls' : ''}${profileName.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`;
  const spec = (
    method: 'GET' | 'POST',
    name: string,
    summary: string,
    handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    responses: ResponseMap = CERTS_ONLY_ANSWER,
  ) =>
    defineRoute({
      method,
      path: `${prefix}/${name}`,
      operationId: operation(name.charAt(0).toUpperCase() + name.slice(1)),
      summary: `${summary} (EST profile ${profileName}${route === 'mtls' ? ', mTLS route' : ''})`,
      tags: ['est'],
      access: 'public',
      responses,
      // The EST layer sends its answers itself (PKCS#7, text errors).
      handler: ({ request, reply }) => handle(handler)(request, reply) as Promise<FastifyReply>,
    });
  const routes: AnyRouteSpec[] = [];

  routes.push(
    spec('GET', 'cacerts', 'CA certificates', async (_request, reply) => {
      const runtime = await deps.issuers.get(config.issuerId);
      return sendCerts(reply, await runtime.caChain());
    }),
  );

  routes.push(
    spec(
      'GET',
      'csrattrs',
      'CSR attributes the CA wants',
      async (_request, reply) => {
        const attrs = buildCsrAttrs(config, await certificateProfile(deps, config));
        if (!attrs) return reply.code(204).send();
        return reply
          .code(200)
          .header('content-type', 'application/csrattrs')
          .header('content-transfer-encoding', 'base64')
          .send(base64Lines(attrs));
      },
      {
        200: { description: 'CSR attributes (base64 DER)', contentType: 'application/csrattrs' },
        204: { description: 'The CA asks for no particular attributes' },
      },
    ),
  );

  routes.push(
    spec('POST', 'simpleenroll', 'Enroll', async (request, reply) => {
      const auth = await authenticate(request, state, shared, route);
      const csr = await readCsrBody(request.body);
      if (auth.mode === 'mtls') checkChannelBinding(request, config, csr.challengePassword);
      const key = checkPrincipalLimit(state, csrNames(csr).commonName, request.ip);
      const issued = await enrollNew(deps, config, csr, {
        requestId: request.id,
        clientIp: request.ip,
        authMode: auth.mode,
      });
      state.perPrincipal.record(key);
      return sendCerts(reply, [issued.certificatePem]);
    }),
  );

  routes.push(
    spec('POST', 'simplereenroll', 'Re-enroll with the current certificate', async (request, reply) => {
      const auth = await authenticate(request, state, shared, route);
      if (!auth.clientCertificate)
        throw new EstError(403, 'simplereenroll requires the current certificate as the TLS client certificate');
      const csr = await readCsrBody(request.body);
      checkChannelBinding(request, config, csr.challengePassword);
      const current = auth.clientCertificate;
      const issued = await reenroll(
        deps,
        config,
        csr,
        {
          subjectDer: current.subjectDer,
          subject: current.subject,
          fingerprint: certificateFingerprint(current.der).hex,
        },
        { requestId: request.id, clientIp: request.ip },
      );
      return sendCerts(reply, [issued.certificatePem]);
    }),
  );

  if (config.serverKeygenEnabled) {
    routes.push(
      spec(
        'POST',
        'serverkeygen',
        'Enroll with a key the server generates',
        async (request, reply) => {
          const auth = await authenticate(request, state, shared, route);
          const clientCsr = await readCsrBody(request.body);
          if (auth.mode === 'mtls') checkChannelBinding(request, config, clientCsr.challengePassword);
          const key = checkPrincipalLimit(state, csrNames(clientCsr).commonName, request.ip);
          const verdict = shared.keygen.take('serverkeygen');
          if (!verdict.allowed)
            throw new EstError(503, 'server-side key generation is busy; retry later', {
              'retry-after': String(verdict.retryAfterSeconds),
            });
          const profile = await certificateProfile(deps, config);
          if (!profile) throw new EstError(500, 'serverkeygen needs a certificate profile');
          const generated = await generateKeyAndCsr(clientCsr, profile);
          const recipient = clientCsr.otherAttributes.includes(ASYMMETRIC_DECRYPT_KEY_ID)
            ? keyRecipient(auth.clientCertificate)
            : undefined;
          const issued = await enrollNew(deps, config, generated.csr, {
            requestId: request.id,
            clientIp: request.ip,
            authMode: `${auth.mode}+serverkeygen`,
          });
          state.perPrincipal.record(key);
          const keyPart = recipient
            ? {
                contentType: 'application/pkcs7-mime; smime-type=server-generated-key',
                body: base64Lines(await encryptKeyForClient(generated.pkcs8, recipient, shared.tls)),
              }
            : { contentType: 'application/pkcs8', body: base64Lines(generated.pkcs8) };
          const body = multipartMixed([
            keyPart,
            { contentType: PKCS7_CERTS_ONLY, body: certsOnlyBody([issued.certificatePem]) },
          ]);
          generated.pkcs8.fill(0);
          return reply.code(200).header('content-type', body.contentType).send(body.body);
        },
        SERVER_KEYGEN_ANSWER,
      ),
    );
  }
  return routes;
}

/**
 * The EST endpoints (RFC 7030) of the HTTPS listener: `/.well-known/est/` for the legacy single
 * profile, `/.well-known/est/<name>/` per listed profile, and `/.well-known/est-mtls/<name>/` for
 * profiles with mTLS. Bodies are read raw (base64/PEM/DER) in the group's own scope, so the JSON API
 * keeps its parsers. Throws at start when a trust bundle is unusable.
 */
export function estRouteGroup(
  deps: ServiceDeps,
  est: EstConfig,
  options: { bodyLimit: number; tls: { cert: string; key: string } },
): RouteGroup | undefined {
  if (est.profiles.length === 0) return undefined;
  const shared: Shared = {
    deps,
    tls: options.tls,
    failedBasic: createSlidingWindowLimiter({ limit: 10, windowMs: 3_600_000, maxKeys: 50_000 }),
    keygen: createRateLimiter({
      rps: est.serverKeygenPerMinute / 60,
      burst: Math.max(1, est.serverKeygenPerMinute),
      maxBuckets: 1,
    }),
  };
  const states = est.profiles.map((config): ProfileState => {
    let bundle: TrustBundle | undefined;
    if (config.mtlsTrustBundlePath) {
      try {
        bundle = loadTrustBundle(config.mtlsTrustBundlePath, 'EST trust bundle', (message) =>
          deps.logger.warn(message),
        );
      } catch (error) {
        throw new Error(
          `EST profile ${config.pathId}: trust bundle unusable: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (bundle) deps.trustBundles.add({ protocol: 'est', purpose: 'mtls_client_ca', profile: config.pathId, bundle });
    return {
      config,
      bundle,
      perPrincipal: createSlidingWindowLimiter({ limit: config.ratePerPrincipal24h, windowMs: DAY_MS }),
    };
  });
  const routes: AnyRouteSpec[] = [];
  for (const state of states) {
    const id = state.config.pathId;
    routes.push(...profileRoutes(state, shared, 'standard', id ? `/.well-known/est/${id}` : '/.well-known/est'));
    if (state.config.mtlsEnabled && id)
      routes.push(...profileRoutes(state, shared, 'mtls', `/.well-known/est-mtls/${id}`));
  }
  const bodyLimit = Math.min(options.bodyLimit, 256 * 1024);
  return {
    name: 'est',
    routes,
    bodies: { raw: '*', bodyLimit },
    // What fastify refuses before a handler runs (a body over the limit) is answered as EST answers.
    errorHandler: (error, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'EST request failed');
      const message =
        status === 413
          ? `request body is larger than ${bodyLimit} bytes`
          : status === 500
            ? 'internal error; see the server log'
            : error.message;
      return sendEstError(reply, new EstError(status, message));
    },
    errorAnswer: EST_ERROR,
  };
}
