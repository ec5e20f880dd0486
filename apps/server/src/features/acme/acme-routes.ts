import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type AnyRouteSpec, defineRoute, type ResponseSpec, type RouteGroup } from '../../http/route-spec.js';
import type { CollectedGauge } from '../server-feature.js';
import { rowsByStatusGauge } from '../status-gauge.js';
import type { AcmeServerConfig } from './acme-server-config.js';
import type { CertificateProfile } from '../../db/tables.js';
import { ServiceError } from '../../shared/service-errors.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type AcmeContext, type AcmeUrls, acmeUrls } from './acme-context.js';
import {
  acmeAccountSchema,
  acmeAuthorizationSchema,
  acmeChallengeSchema,
  acmeDirectorySchema,
  acmeOrderListSchema,
  acmeOrderSchema,
  acmeProblemSchema,
  acmeRenewalInfoSchema,
} from './acme-schemas.js';
import { accountJson, changeKey, newAccount, updateAccount } from './accounts.js';
import { accountChallenge, createValidationQueue, respondToChallenge, runValidation } from './challenges.js';
import { createValidators } from './challenge-validators.js';
import { finalizeOrder } from './finalize.js';
import { deleteExpiredNonces, issueNonce } from './nonces.js';
import { accountOrder, authzIdsOf, authzJson, challengeJson, newOrder, orderJson } from './orders.js';
import { AcmeProblem, malformed, notFoundProblem, unauthorized } from './problems.js';
import { renewalInfo } from './renewal-info.js';
import { authenticateRequest, type AuthOptions, type AuthenticatedRequest } from './request-auth.js';
import { revokeByAcme } from './revoke.js';

/** ACME requests are small; anything bigger is refused before it is parsed. */
export const ACME_BODY_LIMIT = 64 * 1024;

export interface AcmeServerOptions {
  deps: ServiceDeps;
  config: AcmeServerConfig;
  /** CERTCTL_SERVER_PUBLIC_URL; without it URLs are built from the request's Host header. */
  publicUrl?: string;
}

interface ProfileScope {
  profile: CertificateProfile;
  urls: AcmeUrls;
}

const ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The ACME route group, and what stops its background work (nonce clean-up, validations in flight). */
export interface AcmeServer {
  group: RouteGroup;
  gauges: CollectedGauge[];
  close(): Promise<void>;
}

const params = z.object({ profile: z.string() });
const resourceParams = z.object({ profile: z.string(), id: z.string() });
const PROBLEM = {
  description: 'RFC 7807 problem document',
  contentType: 'application/problem+json',
  schema: acmeProblemSchema,
};
/** RFC 8555 JSON as the ACME layer writes it (camelCase, sent by the layer itself). */
const acmeJson = (description: string, schema: z.ZodType) => ({ description, contentType: 'application/json', schema });

/**
 * The RFC 8555 server under `/acme/profile/<profile>/…` and `/acme/directory` (default profile).
 * Route specs like the API's, in a group of their own: the bodies are JWS (`application/jose+json`),
 * errors are RFC 7807 problems, and the protocol needs its own headers (Replay-Nonce, Link, Location).
 */
export function createAcmeServer(options: AcmeServerOptions): AcmeServer {
  const { deps, config } = options;
  const validators = createValidators(config);
  const queue = createValidationQueue(
    config.validationConcurrency,
    (id) => runValidation(ctx, validators, id),
    (error) => deps.logger.error({ err: error }, 'ACME challenge validation crashed'),
  );
  const ctx: AcmeContext = { deps, config, scheduleValidation: (id) => queue.add(id) };

  const gc = setInterval(() => {
    const now = deps.now();
    void deleteExpiredNonces(deps.db, now).catch((error) =>
      deps.logger.warn({ err: error }, 'ACME nonce clean-up failed'),
    );
  }, config.gcIntervalMs);
  gc.unref();

  const baseOf = (request: FastifyRequest) =>
    options.publicUrl?.replace(/\/+$/, '') ?? `https://${request.headers.host ?? 'localhost'}`;
  const profileScope = async (request: FastifyRequest, profileId: string | undefined): Promise<ProfileScope> => {
    if (!profileId)
      throw new AcmeProblem(
        'malformed',
        'no default ACME profile is configured (CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID); use /acme/profile/<profile>/directory',
        404,
      );
    const profile = ID.test(profileId)
      ? await deps.db.selectFrom('certificateProfiles').selectAll().where('id', '=', profileId).executeTakeFirst()
      : undefined;
    if (!profile?.enabled) throw new AcmeProblem('malformed', `no ACME directory for profile ${profileId}`, 404);
    return { profile, urls: acmeUrls(baseOf(request), profile.id) };
  };

  const errorHandler: RouteGroup['errorHandler'] = async (error, request, reply) => {
    let problem: AcmeProblem;
    const code = (error as { code?: string }).code;
    if (error instanceof AcmeProblem) problem = error;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      problem = malformed(`request body is larger than ${ACME_BODY_LIMIT} bytes`, 413);
    else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      problem = malformed('requests must be application/jose+json', 415);
    else if (code?.startsWith('FST_ERR_CTP')) problem = malformed((error as Error).message);
    else if (error instanceof ServiceError && error.status < 500)
      problem = new AcmeProblem(error.status === 403 ? 'unauthorized' : 'malformed', error.message, error.status);
    else {
      request.log.error({ err: error }, 'ACME request failed');
      problem = new AcmeProblem('serverInternal', 'internal error; the server log has the details', 500);
    }
    deps.metrics.httpRequests.inc({ method: request.method, route: 'acme_problem', status: problem.type });
    await withNonce(reply).catch(() => undefined);
    if (problem.extra.retryAfterSeconds) reply.header('retry-after', String(problem.extra.retryAfterSeconds));
    return reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON()));
  };

  const withNonce = async (reply: FastifyReply) => {
    reply.header('replay-nonce', await issueNonce(deps.db, config.nonceTtlMs, deps.now()));
    reply.header('cache-control', 'no-store');
  };
  const json = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).type('application/json').send(JSON.stringify(body));

  const directory = async (request: FastifyRequest, reply: FastifyReply, profileId: string | undefined) => {
    const { urls } = await profileScope(request, profileId);
    const profiles = await deps.db
      .selectFrom('certificateProfiles')
      .select(['id', 'name', 'description'])
      .where('enabled', '=', true)
      .orderBy('id')
      .execute();
    return json(reply, 200, {
      newNonce: urls.newNonce,
      newAccount: urls.newAccount,
      newOrder: urls.newOrder,
      revokeCert: urls.revokeCert,
      keyChange: urls.keyChange,
      renewalInfo: urls.renewalInfo,
      meta: {
        ...(config.termsOfService && { termsOfService: config.termsOfService }),
        ...(config.website && { website: config.website }),
        ...(config.eabRequired && { externalAccountRequired: true }),
        profiles: Object.fromEntries(profiles.map((p) => [p.id, p.description || p.name])),
      },
    });
  };

  const common = { tags: ['acme'], access: 'public' as const };
  const routes: AnyRouteSpec[] = [
    defineRoute({
      ...common,
      method: 'GET',
      path: '/acme/directory',
      operationId: 'acmeDefaultDirectory',
      summary: 'ACME directory (RFC 8555) of the default profile',
      responses: { 200: acmeJson('Directory', acmeDirectorySchema), 404: PROBLEM },
      handler: ({ request, reply }) => directory(request, reply, config.defaultProfileId),
    }),
    defineRoute({
      ...common,
      method: 'GET',
      path: '/acme/profile/{profile}/directory',
      operationId: 'acmeDirectory',
      summary: 'ACME directory (RFC 8555) of a certificate profile',
      params,
      responses: { 200: acmeJson('Directory', acmeDirectorySchema), 404: PROBLEM },
      handler: ({ params: p, request, reply }) => directory(request, reply, p.profile),
    }),
  ];

  const nonce = async (request: FastifyRequest, reply: FastifyReply, profileId: string) => {
    const { urls } = await profileScope(request, profileId);
    await withNonce(reply);
    reply.header('link', `<${urls.directory}>;rel="index"`);
    return reply.code(request.method === 'GET' ? 204 : 200).send();
  };
  for (const method of ['GET', 'HEAD'] as const)
    routes.push(
      defineRoute({
        ...common,
        method,
        path: '/acme/profile/{profile}/new-nonce',
        operationId: method === 'GET' ? 'acmeNewNonce' : 'acmeNewNonceHead',
        summary: 'A fresh Replay-Nonce',
        params,
        responses: { [method === 'GET' ? 204 : 200]: { description: 'Nonce in the Replay-Nonce header' } },
        handler: ({ params: p, request, reply }) => nonce(request, reply, p.profile),
      }),
    );

  routes.push(
    defineRoute({
      ...common,
      method: 'GET',
      path: '/acme/profile/{profile}/renewal-info/{id}',
      operationId: 'acmeRenewalInfo',
      summary: 'ACME renewal information (RFC 9773)',
      params: resourceParams,
      responses: { 200: acmeJson('Suggested renewal window', acmeRenewalInfoSchema), 404: PROBLEM },
      handler: async ({ params: p, request, reply }) => {
        await profileScope(request, p.profile);
        const info = await renewalInfo(deps.db, p.id, deps.now());
        reply.header('retry-after', '21600');
        return json(reply, 200, info);
      },
    }),
  );

  type Handler = (input: {
    request: FastifyRequest<{ Params: Record<string, string> }>;
    reply: FastifyReply;
    auth: AuthenticatedRequest;
    scope: ProfileScope;
  }) => Promise<unknown>;
  const post = (
    path: string,
    operationId: string,
    summary: string,
    key: AuthOptions['key'],
    responses: Record<number, ResponseSpec>,
    handler: Handler,
  ) => {
    routes.push(
      defineRoute({
        ...common,
        method: 'POST',
        path: `/acme/profile/{profile}/${path}`,
        operationId,
        summary,
        params: path.includes('{id}') ? resourceParams : params,
        bodyLimit: ACME_BODY_LIMIT,
        responses: { ...responses, 400: PROBLEM },
        handler: async ({ request: raw, reply }): Promise<FastifyReply> => {
          const request = raw as FastifyRequest<{ Params: Record<string, string> }>;
          const profile = await profileScope(request, request.params.profile);
          const type = String(request.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim()
            .toLowerCase();
          if (type !== 'application/jose+json') throw malformed('requests must be application/jose+json', 415);
          for (const value of Object.values(request.params)) if (!ID.test(value)) throw notFoundProblem('resource');
          const auth = await authenticateRequest(
            ctx,
            profile.urls,
            profile.profile.id,
            request.body,
            `${baseOf(request)}${request.url}`,
            { key },
          );
          await withNonce(reply);
          reply.header('link', `<${profile.urls.directory}>;rel="index"`);
          return (await handler({ request, reply, auth, scope: profile })) as FastifyReply;
        },
      }),
    );
  };
  post(
    'new-account',
    'acmeNewAccount',
    'Create or find an account',
    'jwk',
    {
      200: acmeJson('The account this key already has', acmeAccountSchema),
      201: acmeJson('Account created', acmeAccountSchema),
    },
    async ({ reply, auth, scope: { profile, urls } }) => {
      const { account, created } = await newAccount(ctx, urls, profile.id, auth);
      reply.header('location', urls.account(account.id));
      return json(reply, created ? 201 : 200, accountJson(account, urls));
    },
  );

  post(
    'account/{id}',
    'acmeAccount',
    'Read or update an account',
    'kid',
    { 200: acmeJson('Account', acmeAccountSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      const account = await updateAccount(ctx, request.params.id!, auth);
      return json(reply, 200, accountJson(account, urls));
    },
  );

  post(
    'account/{id}/orders',
    'acmeAccountOrders',
    "An account's orders",
    'kid',
    { 200: acmeJson('Order URLs', acmeOrderListSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      if (auth.account!.id !== request.params.id) throw unauthorized('the JWS kid is not this account');
      const rows = await deps.db
        .selectFrom('acmeOrders')
        .select('id')
        .where('accountId', '=', auth.account!.id)
        .where('status', 'in', ['pending', 'ready', 'processing', 'valid'])
        .orderBy('createdAt', 'desc')
        .limit(1000)
        .execute();
      return json(reply, 200, { orders: rows.map((r) => urls.order(r.id)) });
    },
  );

  post(
    'key-change',
    'acmeKeyChange',
    "Roll over an account's key",
    'kid',
    { 200: acmeJson('Account', acmeAccountSchema) },
    async ({ reply, auth, scope: { profile, urls } }) => {
      const account = await changeKey(ctx, urls, profile.id, auth);
      return json(reply, 200, accountJson(account, urls));
    },
  );

  post(
    'new-order',
    'acmeNewOrder',
    'Create an order',
    'kid',
    { 201: acmeJson('Order', acmeOrderSchema) },
    async ({ reply, auth, scope: { profile, urls } }) => {
      const order = await newOrder(ctx, profile, auth);
      reply.header('location', urls.order(order.id));
      return json(reply, 201, orderJson(order, await authzIdsOf(deps.db, order.id), urls));
    },
  );

  post(
    'order/{id}',
    'acmeOrder',
    'Read an order',
    'kid',
    { 200: acmeJson('Order', acmeOrderSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      const order = await accountOrder(ctx, auth.account!.id, request.params.id!);
      if (order.status === 'processing') reply.header('retry-after', '1');
      return json(reply, 200, orderJson(order, await authzIdsOf(deps.db, order.id), urls));
    },
  );

  post(
    'order/{id}/finalize',
    'acmeFinalize',
    'Finalize an order with a CSR',
    'kid',
    { 200: acmeJson('Order', acmeOrderSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      const order = await accountOrder(ctx, auth.account!.id, request.params.id!);
      const finalized = await finalizeOrder(ctx, order, auth.payload, String(request.id));
      reply.header('location', urls.order(order.id));
      if (finalized.status === 'processing') reply.header('retry-after', '1');
      return json(reply, 200, orderJson(finalized, await authzIdsOf(deps.db, order.id), urls));
    },
  );

  post(
    'authz/{id}',
    'acmeAuthorization',
    'Read or deactivate an authorization',
    'kid',
    { 200: acmeJson('Authorization', acmeAuthorizationSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      const authz = await deps.db
        .selectFrom('acmeAuthorizations')
        .selectAll()
        .where('id', '=', request.params.id!)
        .executeTakeFirst();
      if (!authz) throw notFoundProblem(`authorization ${request.params.id}`);
      if (authz.accountId !== auth.account!.id) throw unauthorized('this authorization belongs to another account');
      let current = authz;
      if (auth.payload?.status !== undefined) {
        if (auth.payload.status !== 'deactivated') throw malformed('the only status a client may set is "deactivated"');
        if (authz.status === 'pending' || authz.status === 'valid') {
          current = await deps.db
            .updateTable('acmeAuthorizations')
            .set({ status: 'deactivated' })
            .where('id', '=', authz.id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }
      } else if (authz.status === 'pending' && authz.expiresAt.getTime() <= deps.now().getTime()) {
        current = await deps.db
          .updateTable('acmeAuthorizations')
          .set({ status: 'expired' })
          .where('id', '=', authz.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      const challenges = await deps.db
        .selectFrom('acmeChallenges')
        .selectAll()
        .where('authorizationId', '=', authz.id)
        .orderBy('type')
        .execute();
      if (current.status === 'pending' && challenges.some((c) => c.status === 'processing'))
        reply.header('retry-after', '1');
      return json(reply, 200, authzJson(current, challenges, urls));
    },
  );

  post(
    'challenge/{id}',
    'acmeChallenge',
    'Read or respond to a challenge',
    'kid',
    { 200: acmeJson('Challenge', acmeChallengeSchema) },
    async ({ request, reply, auth, scope: { urls } }) => {
      const account = auth.account!;
      // POST-as-GET reads the challenge; a JSON object (normally {}) asks for validation.
      const challenge =
        auth.payload === undefined
          ? await accountChallenge(ctx, account.id, request.params.id!)
          : await respondToChallenge(ctx, account, request.params.id!);
      const authzId = 'authorizationId' in challenge ? challenge.authorizationId : '';
      reply.header('link', [`<${urls.directory}>;rel="index"`, `<${urls.authz(authzId)}>;rel="up"`]);
      if (challenge.status === 'processing') reply.header('retry-after', '1');
      return json(reply, 200, challengeJson(challenge, urls));
    },
  );

  post(
    'cert/{id}',
    'acmeCertificate',
    'Download the certificate chain',
    'kid',
    { 200: { description: 'Leaf and chain, PEM', contentType: 'application/pem-certificate-chain' } },
    async ({ request, reply, auth }) => {
      const order = await accountOrder(ctx, auth.account!.id, request.params.id!);
      if (order.status !== 'valid' || !order.versionId)
        throw new AcmeProblem('malformed', `order ${order.id} has no certificate yet`, 404);
      const version = await deps.db
        .selectFrom('certificateVersions')
        .select(['certificatePem', 'chainPem'])
        .where('id', '=', order.versionId)
        .executeTakeFirstOrThrow();
      // No rel="up" here: clients (mod_md) follow it from a certificate to fetch the issuer's certificate.
      return reply
        .code(200)
        .type('application/pem-certificate-chain')
        .send(`${version.certificatePem.trim()}\n${version.chainPem.trim() ? `${version.chainPem.trim()}\n` : ''}`);
    },
  );

  post(
    'revoke-cert',
    'acmeRevoke',
    'Revoke a certificate',
    'either',
    { 200: { description: 'Revoked' } },
    async ({ request, reply, auth }) => {
      await revokeByAcme(ctx, auth, String(request.id));
      return reply.code(200).send();
    },
  );

  return {
    group: {
      name: 'acme',
      routes,
      bodies: { raw: ['application/jose+json'], bodyLimit: ACME_BODY_LIMIT },
      errorHandler,
      errorAnswer: PROBLEM,
    },
    gauges: [rowsByStatusGauge(deps, 'acmeOrders', 'certctl_acme_orders', 'ACME orders by status')],
    async close() {
      clearInterval(gc);
      await queue.drain();
    },
  };
}
