import { z } from 'zod';
import type { Actor } from '../shared/actor.js';
import type { PageRequest } from '../shared/pagination.js';
import { type AnyRouteSpec, defineRoute, type RouteAccess } from './route-spec.js';
import { idParams, listOf, pageOf, pageQuery, resourceId } from './schemas/common.js';
import type { InternalOf } from './wire-format.js';

/**
 * The routes every scheduled resource has (network scan targets, discovery sources, health
 * checks): list, create, get, update, delete, "run now" and the history of its runs. Each feature
 * gives its schemas, names and services; the builder makes the routes, so the shapes (paths,
 * parameters, paging, access, answers) are written once. The operation names and summaries stay the
 * feature's, so the OpenAPI document is what each feature documented before.
 */

type Out<S extends z.ZodType> = InternalOf<z.output<S>>;
type Page<S extends z.ZodType> = InternalOf<z.output<ReturnType<typeof listOf<S>>>>;

/** The OpenAPI names of one operation: its id, its summary, the description of its answer. */
export interface OperationNames {
  operationId: string;
  summary: string;
  description: string;
}

export interface ScheduledResourceSpec<
  E extends z.ZodType,
  CB extends z.ZodType,
  UB extends z.ZodType,
  LQ extends z.ZodObject,
  RN extends z.ZodType,
  RH extends z.ZodType,
> {
  /** The collection, e.g. `/api/v1/health-checks`; one resource is `{path}/{id}`. */
  path: string;
  tags: string[];
  /** The answer for one resource (get, create, update). */
  entity: E;
  /** Who may change resources (create, update, delete); reading is for viewers. */
  writeAccess: RouteAccess;
  list: OperationNames & {
    /** Filters beyond paging (page and per_page are added). */
    filters?: LQ;
    handler(input: { query: z.output<LQ>; page: PageRequest }): Promise<Page<E>>;
  };
  create: OperationNames & { body: CB; handler(input: { actor: Actor; body: z.output<CB> }): Promise<Out<E>> };
  get: OperationNames & { handler(input: { id: string }): Promise<Out<E>> };
  update: OperationNames & {
    body: UB;
    handler(input: { actor: Actor; id: string; body: z.output<UB> }): Promise<Out<E>>;
  };
  delete: OperationNames & { handler(input: { actor: Actor; id: string }): Promise<void> };
  /** Run now: `POST {path}/{id}/{action}`, answering with `status` (200: the outcome; 202: started). */
  runNow: OperationNames & {
    action: string;
    access: RouteAccess;
    status: 200 | 202;
    schema: RN;
    handler(input: { actor: Actor; id: string }): Promise<Out<RN>>;
  };
  /** The runs: `GET {path}/{id}/{segment}`, newest first; with `getOne`, `GET {path}/{id}/{segment}/{run_id}`. */
  runs: OperationNames & {
    segment: string;
    schema: RH;
    handler(input: { id: string; page: PageRequest }): Promise<Page<RH>>;
    /** One run; `param` names its path parameter (default `run_id`). */
    getOne?: OperationNames & { param?: string; handler(input: { id: string; runId: string }): Promise<Out<RH>> };
  };
}

export interface ScheduledResourceRoutes {
  list: AnyRouteSpec;
  create: AnyRouteSpec;
  get: AnyRouteSpec;
  update: AnyRouteSpec;
  delete: AnyRouteSpec;
  runNow: AnyRouteSpec;
  runs: AnyRouteSpec;
  run?: AnyRouteSpec;
  /** All of them, in the order above. */
  all: AnyRouteSpec[];
}

/**
 * Builds the routes of a scheduled resource. They are returned by name so a feature can place its
 * own routes among them (the order of the OpenAPI document's paths follows the route list).
 */
export function scheduledResourceRoutes<
  E extends z.ZodType,
  CB extends z.ZodType,
  UB extends z.ZodType,
  RN extends z.ZodType,
  RH extends z.ZodType,
  LQ extends z.ZodObject = z.ZodObject<{}>,
>(spec: ScheduledResourceSpec<E, CB, UB, LQ, RN, RH>): ScheduledResourceRoutes {
  const { path, tags, entity } = spec;
  const one = `${path}/{id}`;
  const names = (op: OperationNames) => ({ operationId: op.operationId, summary: op.summary, tags });
  const routes: Omit<ScheduledResourceRoutes, 'all'> = {
    list: defineRoute({
      method: 'GET',
      path,
      ...names(spec.list),
      access: 'viewer',
      query: spec.list.filters ? pageQuery.extend(spec.list.filters.shape) : pageQuery,
      responses: { 200: { description: spec.list.description, schema: listOf(entity) } },
      handler: ({ query }) =>
        spec.list.handler({ query: query as z.output<LQ>, page: pageOf(query as z.output<typeof pageQuery>) }),
    }) as AnyRouteSpec,
    create: defineRoute({
      method: 'POST',
      path,
      ...names(spec.create),
      access: spec.writeAccess,
      body: spec.create.body,
      responses: { 201: { description: spec.create.description, schema: entity } },
      handler: ({ actor, body }) => spec.create.handler({ actor, body: body as z.output<CB> }),
    }) as AnyRouteSpec,
    get: defineRoute({
      method: 'GET',
      path: one,
      ...names(spec.get),
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: spec.get.description, schema: entity } },
      handler: ({ params }) => spec.get.handler({ id: params.id }),
    }) as AnyRouteSpec,
    update: defineRoute({
      method: 'PUT',
      path: one,
      ...names(spec.update),
      access: spec.writeAccess,
      params: idParams,
      body: spec.update.body,
      responses: { 200: { description: spec.update.description, schema: entity } },
      handler: ({ actor, params, body }) => spec.update.handler({ actor, id: params.id, body: body as z.output<UB> }),
    }) as AnyRouteSpec,
    delete: defineRoute({
      method: 'DELETE',
      path: one,
      ...names(spec.delete),
      access: spec.writeAccess,
      params: idParams,
      responses: { 204: { description: spec.delete.description } },
      handler: ({ actor, params }) => spec.delete.handler({ actor, id: params.id }),
    }) as AnyRouteSpec,
    runNow: defineRoute({
      method: 'POST',
      path: `${one}/${spec.runNow.action}`,
      ...names(spec.runNow),
      access: spec.runNow.access,
      params: idParams,
      responses: { [spec.runNow.status]: { description: spec.runNow.description, schema: spec.runNow.schema } },
      handler: ({ actor, params }) => spec.runNow.handler({ actor, id: params.id }),
    }) as AnyRouteSpec,
    runs: defineRoute({
      method: 'GET',
      path: `${one}/${spec.runs.segment}`,
      ...names(spec.runs),
      access: 'viewer',
      params: idParams,
      query: pageQuery,
      responses: { 200: { description: spec.runs.description, schema: listOf(spec.runs.schema) } },
      handler: ({ params, query }) => spec.runs.handler({ id: params.id, page: pageOf(query) }),
    }) as AnyRouteSpec,
  };
  const getOne = spec.runs.getOne;
  const param = getOne?.param ?? 'run_id';
  const run = getOne
    ? (defineRoute({
        method: 'GET',
        path: `${one}/${spec.runs.segment}/{${param}}`,
        ...names(getOne),
        access: 'viewer',
        params: z.object({ id: resourceId, [param]: resourceId }) as z.ZodType<Record<string, string>>,
        responses: { 200: { description: getOne.description, schema: spec.runs.schema } },
        handler: ({ params }) => getOne.handler({ id: String(params.id), runId: String(params[param]) }),
      }) as AnyRouteSpec)
    : undefined;
  const all = [
    routes.list,
    routes.create,
    routes.get,
    routes.update,
    routes.delete,
    routes.runNow,
    routes.runs,
    ...(run ? [run] : []),
  ];
  return { ...routes, ...(run && { run }), all };
}
