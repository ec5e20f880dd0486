import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor } from '../shared/actor.js';
import type { InternalOf } from './wire-format.js';

/** Who may call a route: nobody needs a key (`public`), or a role at least this strong. */
export type RouteAccess = 'public' | 'viewer' | 'operator' | 'admin' | 'agent' | 'agent-registration';

/**
 * One documented answer. With `schema` and no `contentType` it is JSON: the handler returns the
 * internal (camelCase, Date) value and the route sends its wire form. With `contentType` it is sent
 * as the handler returns it (PEM, DER, PKCS#7, text; `schema` then only documents a raw JSON body).
 * Without either the answer has no body (204, 304).
 */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** One content type, or each a protocol may answer with (SCEP: text/plain, a CA certificate, a PKIMessage). */
  contentType?: string | readonly string[];
}

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;
type RedirectStatus = 300 | 301 | 302 | 303 | 304 | 305 | 307 | 308;

export type ResponseMap = { [S in SuccessStatus | RedirectStatus]?: ResponseSpec } & {
  /** 4xx/5xx: the error envelope `{error, message, request_id}`, unless a protocol's own `contentType` is given. */
  [status: number]: ResponseSpec;
};

type BodyOf<R> = R extends { contentType: string | readonly string[] }
  ? string | Uint8Array
  : R extends { schema: infer S extends z.ZodType }
    ? InternalOf<z.output<S>>
    : // biome-ignore lint/suspicious/noConfusingVoidType: a route without a body may return a service's Promise<void>.
      void;

/** What a handler may return: the body of one of its declared 2xx answers, or the reply it sent itself. */
export type HandlerResult<R> = { [S in keyof R & SuccessStatus]: BodyOf<R[S]> }[keyof R & SuccessStatus] | FastifyReply;

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One API route: its schemas validate the request, type the handler's answer and are the OpenAPI
 * document, so what is documented is exactly what is accepted and what is sent.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R extends ResponseMap = ResponseMap> {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * OpenAPI template syntax: `/api/v1/teams/{id}`. A last parameter written `{name*}` takes the rest
   * of the path, "/" included (a base64 OCSP request); the document names it `{name}` and says so.
   */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: RouteAccess;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * The first 2xx entry is the status sent when the handler returns a value. 4xx/5xx entries
   * document route-specific failures (409, 410, 502, ...); the common ones are added for every route.
   */
  responses: R;
  /** Not listed in the OpenAPI document (the document itself). */
  hidden?: boolean;
  /** Largest body this route reads, when smaller than the listener's limit (protocol messages). */
  bodyLimit?: number;
  handler(input: HandlerInput<P, Q, B>): Promise<HandlerResult<R>> | HandlerResult<R>;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes; each is checked where it is defined.
export type AnyRouteSpec = RouteSpec<any, any, any, any>;

export function defineRoute<P = unknown, Q = unknown, B = unknown, const R extends ResponseMap = ResponseMap>(
  spec: RouteSpec<P, Q, B, R>,
): RouteSpec<P, Q, B, R> {
  return spec;
}

/**
 * A route path in OpenAPI syntax. A trailing `{name*}` (a parameter holding the rest of the path,
 * "/" included) is documented as a plain `{name}`: OpenAPI has no wildcard, the parameter says so.
 */
export function openApiPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\*\}$/, '{$1}');
}

/** The parameter a route's trailing `{name*}` names, if it has one. */
export function restOfPathParameter(path: string): string | undefined {
  return /\{([A-Za-z_][A-Za-z0-9_]*)\*\}$/.exec(path)?.[1];
}

/** The declared answer for a status (a 2xx, or an error entry), if any. */
export function declaredResponse(route: AnyRouteSpec, status: number): ResponseSpec | undefined {
  return (route.responses as Record<number, ResponseSpec | undefined>)[status];
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
  /**
   * What the group's errors are when a route declares no entry for the status: the protocol's own
   * document (an ACME problem, EST's text). Without it errors are the API's envelope. Required with
   * an `errorHandler`, so every answer of every route is checked against a declaration.
   */
  errorAnswer?: ResponseSpec;
}

export function defineRouteGroup(group: RouteGroup): RouteGroup {
  return group;
}
