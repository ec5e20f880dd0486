import type { z } from 'zod';
import { configJsonSchema, type JsonSchema, parseConfig, secretValues } from './config-schema.js';
import type { ConnectorContext, ConnectorLogger } from './context.js';
import {
  ConfigValidationError,
  ConnectorError,
  ConnectorUnavailableError,
  NoSuchConnectorError,
  UnsupportedSpecificationError,
} from './errors.js';
import {
  type AnyConnectorManifest,
  type CapabilitiesByKind,
  type ConnectorKind,
  CONNECTOR_KINDS,
  type ConnectorManifest,
  SUPPORTED_SPECIFICATION_VERSIONS,
  withDefaultCapabilities,
} from './manifest.js';
import { createRedactingLogger, silentLogger } from './redacting-logger.js';
import { type ConnectorRuntime, createRuntime } from './runtime.js';

const KINDS: readonly ConnectorKind[] = CONNECTOR_KINDS;
const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export interface RegisteredConnector {
  kind: ConnectorKind;
  id: string;
  /** The npm package it came from, when loaded from one. */
  packageName?: string;
  status: 'available' | 'unavailable';
  /** Why it is unavailable, for operators. */
  error?: string;
  displayName?: string;
  version?: string;
  capabilities?: CapabilitiesByKind[ConnectorKind];
  manifest?: AnyConnectorManifest;
}

export interface InstantiateOptions {
  /** The operator's name for this instance, e.g. `iss-local`. */
  instanceId: string;
  /** Per-method deadlines in ms, over the defaults. */
  timeoutsMs?: Partial<Record<string, number>>;
}

export interface RegistryOptions {
  logger?: ConnectorLogger;
  /** Builds the outside world for one instance (apps use connector-utils' `createConnectorContext`). */
  createContext: (info: {
    kind: ConnectorKind;
    id: string;
    instanceId: string;
    logger: ConnectorLogger;
  }) => ConnectorContext | Promise<ConnectorContext>;
}

export interface ConnectorRegistry {
  /** Registers a manifest; throws a typed error when it is not one this core can run. */
  register(manifest: unknown, source?: { packageName?: string }): RegisteredConnector;
  /** Records a connector that could not be loaded, so operators see it and why. */
  markUnavailable(entry: {
    kind: ConnectorKind;
    id: string;
    packageName?: string;
    error: unknown;
  }): RegisteredConnector;
  list(kind?: ConnectorKind): RegisteredConnector[];
  /** The registered, available connector; throws NoSuchConnectorError or ConnectorUnavailableError. */
  get<K extends ConnectorKind>(kind: K, id: string): ConnectorManifest<K>;
  has(kind: ConnectorKind, id: string): boolean;
  /** JSON Schema of a connector's config, for API docs and forms. */
  configJsonSchema(kind: ConnectorKind, id: string): JsonSchema;
  /** Parses a raw config against the connector's schema: typed config out, or ConfigValidationError. */
  validateConfig(kind: ConnectorKind, id: string, raw: unknown): unknown;
  /** Validates the config and returns a runtime wrapper; the instance itself is created on first use. */
  instantiate<K extends ConnectorKind>(
    kind: K,
    id: string,
    rawConfig: unknown,
    options: InstantiateOptions,
  ): Promise<ConnectorRuntime<K>>;
  /** Stops every instance handed out; idempotent. */
  stopAll(): Promise<void>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Checks that `value` is a manifest this core can run and returns it with capability defaults filled. */
export function assertManifest(value: unknown): AnyConnectorManifest {
  const m = value as Partial<AnyConnectorManifest> | null;
  const label = typeof m?.kind === 'string' && typeof m?.id === 'string' ? `${m.kind}-${m.id}` : undefined;
  const problems: { path: string; message: string }[] = [];
  if (typeof m !== 'object' || m === null)
    throw new ConfigValidationError({
      issues: [
        { path: '', message: 'the default export is not a connector manifest (use defineIssuer/defineTarget/...)' },
      ],
    });
  if (!(SUPPORTED_SPECIFICATION_VERSIONS as readonly unknown[]).includes(m.specificationVersion)) {
    throw new UnsupportedSpecificationError({
      connector: label,
      specificationVersion: m.specificationVersion,
      supported: SUPPORTED_SPECIFICATION_VERSIONS,
    });
  }
  if (!KINDS.includes(m.kind as ConnectorKind))
    problems.push({ path: 'kind', message: `must be one of ${KINDS.join(', ')}` });
  if (typeof m.id !== 'string' || !ID_PATTERN.test(m.id)) problems.push({ path: 'id', message: 'must be kebab-case' });
  if (typeof m.displayName !== 'string' || m.displayName.length === 0)
    problems.push({ path: 'displayName', message: 'required' });
  if (typeof m.version !== 'string') problems.push({ path: 'version', message: 'required' });
  if (typeof (m.configSchema as z.ZodType | undefined)?.safeParse !== 'function')
    problems.push({ path: 'configSchema', message: 'must be a zod schema' });
  else {
    try {
      configJsonSchema(m.configSchema as z.ZodType);
    } catch (error) {
      problems.push({ path: 'configSchema', message: `cannot be exported as JSON Schema (${describe(error)})` });
    }
  }
  if (typeof m.create !== 'function') problems.push({ path: 'create', message: 'must be a function' });
  if (problems.length > 0)
    throw new ConfigValidationError({
      connector: label,
      issues: problems,
      message: `not a valid connector manifest: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    });
  return {
    ...(m as AnyConnectorManifest),
    capabilities: withDefaultCapabilities(m.kind as ConnectorKind, m.capabilities),
  };
}

export function createRegistry(options: RegistryOptions): ConnectorRegistry {
  const logger = options.logger ?? silentLogger;
  const entries = new Map<string, RegisteredConnector>();
  const runtimes = new Set<ConnectorRuntime<ConnectorKind>>();
  const key = (kind: string, id: string) => `${kind}:${id}`;

  const lookup = (kind: ConnectorKind, id: string): AnyConnectorManifest => {
    const entry = entries.get(key(kind, id));
    if (!entry) throw new NoSuchConnectorError({ kind, id });
    if (entry.status !== 'available' || !entry.manifest) {
      throw new ConnectorUnavailableError({
        connector: `${kind}-${id}`,
        message: `installed but unavailable: ${entry.error ?? 'unknown error'}`,
      });
    }
    return entry.manifest;
  };

  const registry: ConnectorRegistry = {
    register(value, source = {}) {
      const manifest = assertManifest(value);
      const existing = entries.get(key(manifest.kind, manifest.id));
      if (existing?.status === 'available' && existing.manifest !== value) {
        logger.warn(
          { kind: manifest.kind, id: manifest.id, package: source.packageName },
          'connector registered twice; the later one wins',
        );
      }
      const entry: RegisteredConnector = {
        kind: manifest.kind,
        id: manifest.id,
        packageName: source.packageName,
        status: 'available',
        displayName: manifest.displayName,
        version: manifest.version,
        capabilities: manifest.capabilities,
        manifest,
      };
      entries.set(key(manifest.kind, manifest.id), entry);
      return entry;
    },
    markUnavailable({ kind, id, packageName, error }) {
      const entry: RegisteredConnector = { kind, id, packageName, status: 'unavailable', error: describe(error) };
      entries.set(key(kind, id), entry);
      logger.error({ kind, id, package: packageName, error: describe(error) }, 'connector unavailable');
      return entry;
    },
    list(kind) {
      return [...entries.values()]
        .filter((e) => kind === undefined || e.kind === kind)
        .sort((a, b) => key(a.kind, a.id).localeCompare(key(b.kind, b.id)));
    },
    get<K extends ConnectorKind>(kind: K, id: string) {
      return lookup(kind, id) as unknown as ConnectorManifest<K>;
    },
    has(kind, id) {
      return entries.get(key(kind, id))?.status === 'available';
    },
    configJsonSchema(kind, id) {
      return configJsonSchema(lookup(kind, id).configSchema);
    },
    validateConfig(kind, id, raw) {
      return parseConfig(lookup(kind, id).configSchema, raw, `${kind}-${id}`);
    },
    async instantiate<K extends ConnectorKind>(kind: K, id: string, rawConfig: unknown, opts: InstantiateOptions) {
      const manifest = lookup(kind, id) as unknown as ConnectorManifest<K>;
      const config = parseConfig(manifest.configSchema, rawConfig, `${kind}-${id}`);
      const secrets = secretValues(manifest.configSchema, config);
      const connectorLogger = createRedactingLogger(logger, secrets).child({
        connector: `${kind}-${id}`,
        instance: opts.instanceId,
      });
      let ctx: ConnectorContext;
      try {
        ctx = await options.createContext({ kind, id, instanceId: opts.instanceId, logger: connectorLogger });
      } catch (error) {
        throw ConnectorError.isInstance(error)
          ? error
          : new ConnectorError({
              connector: `${kind}-${id}`,
              message: `could not build the connector context: ${describe(error)}`,
              cause: error,
            });
      }
      const runtime = createRuntime(manifest, {
        instanceId: opts.instanceId,
        ctx: { ...ctx, logger: createRedactingLogger(ctx.logger, secrets) },
        config,
        secrets,
        logger: connectorLogger,
        timeoutsMs: opts.timeoutsMs,
      });
      runtimes.add(runtime as unknown as ConnectorRuntime<ConnectorKind>);
      return runtime;
    },
    async stopAll() {
      const all = [...runtimes];
      runtimes.clear();
      await Promise.allSettled(all.map((r) => r.stop()));
    },
  };
  return registry;
}
