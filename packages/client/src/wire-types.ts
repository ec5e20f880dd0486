import type { components, paths } from './generated/openapi.js';

/** Every named schema of the API (`Certificate`, `Issuer`, `Job`, ...). */
export type Schemas = components['schemas'];
export type Schema<Name extends keyof Schemas> = Schemas[Name];

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head';
type OperationOf<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;
type SuccessStatus = 200 | 201 | 202;

/** The JSON a route answers with on success: `JsonAnswer<'/api/v1/agents', 'post'>`. */
export type JsonAnswer<P extends keyof paths, M extends Method> =
  OperationOf<P, M> extends { responses: infer R }
    ? {
        [S in keyof R & SuccessStatus]: R[S] extends { content: { 'application/json': infer J } } ? J : never;
      }[keyof R & SuccessStatus]
    : never;

/** The JSON body a route takes: `JsonBody<'/api/v1/agents/{id}/heartbeat', 'post'>`. */
export type JsonBody<P extends keyof paths, M extends Method> =
  OperationOf<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The query parameters a route takes. */
export type QueryOf<P extends keyof paths, M extends Method> =
  OperationOf<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The GET routes that answer a page `{data, total, page, per_page}`. */
export type ListPath = {
  [P in keyof paths]: JsonAnswer<P, 'get'> extends { data: unknown[]; total: number; page: number; per_page: number }
    ? P
    : never;
}[keyof paths];

/** One item of a list route's pages. */
export type ListItem<P extends ListPath> = JsonAnswer<P, 'get'> extends { data: (infer T)[] } ? T : never;
