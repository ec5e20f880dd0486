import type { FastifyReply, FastifyRequest } from 'fastify';
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
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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
  handler(input: HandlerInput<P, Q, B>): Promise<unknown> | unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes; each is checked where it is defined.
export type AnyRouteSpec = RouteSpec<any, any, any>;

export function defineRoute<P = unknown, Q = unknown, B = unknown>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}
