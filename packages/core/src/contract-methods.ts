import type { ConnectorKind, InstanceByKind } from './manifest.js';

type FunctionKeys<T> = {
  [M in keyof T]-?: NonNullable<T[M]> extends (...args: never[]) => unknown ? M : never;
}[keyof T];
type OptionalKeys<T> = { [M in keyof T]-?: undefined extends T[M] ? M : never }[keyof T];
type Lifecycle = 'start' | 'stop';

/** The methods of one kind's instance that apps call (lifecycle hooks excluded), e.g. `'deploy' | 'dryRun' | ...`. */
export type ContractMethodOf<K extends ConnectorKind> = Exclude<FunctionKeys<InstanceByKind[K]> & string, Lifecycle>;

/** The methods a connector of kind `K` may leave out. */
export type OptionalContractMethodOf<K extends ConnectorKind> = Extract<
  ContractMethodOf<K>,
  OptionalKeys<InstanceByKind[K]>
>;

/** Every method of the contract, across kinds. Tables keyed by it fail to compile when a method is added without its entry. */
export type ContractMethod = { [K in ConnectorKind]: ContractMethodOf<K> }[ConnectorKind];

type ReturnsStream<F> =
  NonNullable<F> extends (...args: never[]) => infer R ? (R extends AsyncIterable<unknown> ? true : false) : false;

/** Methods that return an AsyncIterable (the runtime wraps them as streams). */
export type StreamingContractMethod = {
  [K in ConnectorKind]: {
    [M in ContractMethodOf<K>]: ReturnsStream<InstanceByKind[K][M & keyof InstanceByKind[K]]> extends true ? M : never;
  }[ContractMethodOf<K>];
}[ConnectorKind];
