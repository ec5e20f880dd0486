import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor } from '../shared/actor.js';

/** Who may call a route: nobody needs a key (`public`), or a role at least this strong. */
export type RouteAccess = 'public' | 'viewer' | 'operator' | 'admin' | 'agent' | 'agent-registration';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One API route: its schemas validate the request and are the OpenAPI document, so what is
 * documented is exactly what is accepted.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI template syntax: `/api/v1/teams/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: RouteAccess;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The first 2xx entry is the status sent when the handler returns a value. */
  responses: Record<number, ResponseSpec>;
  /** Not listed in the OpenAPI document (the document itself). */
  hidden?: boolean;
  /** Largest body this route reads, when smaller than the listener's limit (protocol messages). */
  bodyLimit?: number;
  handler(input: HandlerInput<P, Q, B>): Promise<unknown> | unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes; each is checked where it is defined.
export type AnyRouteSpec = RouteSpec<any, any, any>;

export function defineRoute<P = unknown, Q = unknown, B = unknown>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

/** How a group's routes read bodies that are not JSON (protocol messages arrive as DER, base64 or JWS). */
export interface BodyParsing {
  /** Content types read as a raw Buffer; `'*'` reads every body raw and drops the JSON parser. */
  raw: readonly string[] | '*';
  /** Largest raw body. */
  bodyLimit?: number;
  /** Content type assumed for a POST that sends none (strongSwan's SCEP client). */
  defaultContentType?: string;
}

/**
 * Routes served together in their own fastify scope: the API's JSON routes, or one protocol's
 * endpoints with the body parsers and error format the protocol needs. Every route of every
 * listener is a RouteSpec in some group, so each is documented and checked the same way.
 */
export interface RouteGroup {
  /** Names the group in logs and start-up errors (the feature name). */
  name: string;
  routes: readonly AnyRouteSpec[];
  bodies?: BodyParsing;
  /** Protocol errors (RFC 7807 problems, EST's text answers) instead of the API's `{error, message}` body. */
  errorHandler?: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;
}

export function defineRouteGroup(group: RouteGroup): RouteGroup {
  return group;
}
