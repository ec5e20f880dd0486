import type { z } from 'zod';
import {
  DEFAULT_DISCOVERY_CAPABILITIES,
  DEFAULT_ISSUER_CAPABILITIES,
  DEFAULT_NOTIFIER_CAPABILITIES,
  DEFAULT_TARGET_CAPABILITIES,
  type DiscoveryCapabilities,
  type IssuerCapabilities,
  type NotifierCapabilities,
  type TargetCapabilities,
} from './capabilities.js';
import type { ConnectorContext } from './context.js';
import type { DiscoverySourceInstance } from './discovery.js';
import type { EnvMapping } from './env-mapping.js';
import type { IssuerInstance } from './issuer.js';
import type { NotifierInstance } from './notifier.js';
import type { TargetInstance } from './target.js';

/** The contract version this core implements; a connector declares the one it was written for. */
export const SPECIFICATION_VERSION = 'v1';
export const SUPPORTED_SPECIFICATION_VERSIONS = [SPECIFICATION_VERSION] as const;
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

/** Every connector kind; the type below is derived from it, so there is no second list to keep in step. */
export const CONNECTOR_KINDS = ['issuer', 'target', 'notifier', 'discovery'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

export interface CapabilitiesByKind {
  issuer: IssuerCapabilities;
  target: TargetCapabilities;
  notifier: NotifierCapabilities;
  discovery: DiscoveryCapabilities;
}

export interface InstanceByKind {
  issuer: IssuerInstance;
  target: TargetInstance;
  notifier: NotifierInstance;
  discovery: DiscoverySourceInstance;
}

/** What every connector package default-exports. */
export interface ConnectorManifest<K extends ConnectorKind = ConnectorKind, Schema extends z.ZodType = z.ZodType> {
  kind: K;
  /** kebab-case, equal to the package suffix (`acme` for `@certctl/issuer-acme`). */
  id: string;
  displayName: string;
  /** The package's version. */
  version: string;
  /**
   * The contract version the connector was written against, as a literal in its own source. The app's
   * core (a peer, possibly newer) never fills it in, so its registry can refuse a contract it does not speak.
   */
  specificationVersion: SpecificationVersion;
  description?: string;
  configSchema: Schema;
  /** How `CERTCTL_<VENDOR>_*` variables map onto config keys, so a server can seed an instance from its environment. */
  env?: EnvMapping;
  capabilities: CapabilitiesByKind[K];
  create(config: z.output<Schema>, ctx: ConnectorContext): InstanceByKind[K] | Promise<InstanceByKind[K]>;
}

export type AnyConnectorManifest = ConnectorManifest<ConnectorKind, z.ZodType>;

/** What a connector author writes: capabilities may be partial; the rest defaults to false. */
export type ManifestInput<K extends ConnectorKind, Schema extends z.ZodType> = Omit<
  ConnectorManifest<K, Schema>,
  'kind' | 'capabilities'
> & {
  capabilities?: Partial<CapabilitiesByKind[K]>;
};

const DEFAULTS: { [K in ConnectorKind]: CapabilitiesByKind[K] } = {
  issuer: DEFAULT_ISSUER_CAPABILITIES,
  target: DEFAULT_TARGET_CAPABILITIES,
  notifier: DEFAULT_NOTIFIER_CAPABILITIES,
  discovery: DEFAULT_DISCOVERY_CAPABILITIES,
};

/** Fills capability defaults for `kind`; unknown flags from a newer connector are kept. */
export function withDefaultCapabilities<K extends ConnectorKind>(
  kind: K,
  capabilities: Partial<CapabilitiesByKind[K]> | undefined,
): CapabilitiesByKind[K] {
  return Object.freeze({ ...DEFAULTS[kind], ...(capabilities ?? {}) }) as unknown as CapabilitiesByKind[K];
}

function define<K extends ConnectorKind, Schema extends z.ZodType>(
  kind: K,
  input: ManifestInput<K, Schema>,
): ConnectorManifest<K, Schema> {
  // `define` runs in the app's copy of core, so it must not stamp its own specificationVersion.
  return Object.freeze({
    ...input,
    kind,
    capabilities: withDefaultCapabilities(kind, input.capabilities),
  }) as ConnectorManifest<K, Schema>;
}

/** Declares an issuer connector: the package's default export. */
export function defineIssuer<Schema extends z.ZodType>(input: ManifestInput<'issuer', Schema>) {
  return define('issuer', input);
}

/** Declares a deploy target connector: the package's default export. */
export function defineTarget<Schema extends z.ZodType>(input: ManifestInput<'target', Schema>) {
  return define('target', input);
}

/** Declares a notifier connector: the package's default export. */
export function defineNotifier<Schema extends z.ZodType>(input: ManifestInput<'notifier', Schema>) {
  return define('notifier', input);
}

/** Declares a discovery source connector: the package's default export. */
export function defineDiscoverySource<Schema extends z.ZodType>(input: ManifestInput<'discovery', Schema>) {
  return define('discovery', input);
}

/** The package name a connector must be published under, e.g. `@certctl/issuer-acme`. */
export function connectorPackageSuffix(kind: ConnectorKind, id: string): string {
  return `${kind}-${id}`;
}
