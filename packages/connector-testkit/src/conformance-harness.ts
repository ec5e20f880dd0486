import {
  type AnyConnectorManifest,
  type ConnectorContext,
  type ConnectorKind,
  type ConnectorManifest,
  type ConnectorRegistry,
  type ConnectorRuntime,
  createRegistry,
  type InstanceByKind,
  parseConfig,
} from '@certctl/core';
import type { InvalidConfigCase } from './check-config.js';
import { createTestContext } from './test-context.js';

/** Options every conformance suite takes. */
export interface ConformanceOptions<Config = unknown> {
  /** A valid config (wire form), or a function returning one (called after `hooks.beforeAll`, e.g. once a fake vendor has a URL). */
  config: Config | (() => Config | Promise<Config>);
  /** Configs that must be rejected, with the path the error must name (required keys and wrong types are tried automatically). */
  invalidConfigs?: readonly InvalidConfigCase[];
  /** The ConnectorContext to create instances with; default `createTestContext()` (cleaned up after the suite). */
  context?: () => ConnectorContext | Promise<ConnectorContext>;
  hooks?: {
    /** Runs first: start fakes, create fixtures. */
    beforeAll?: () => unknown | Promise<unknown>;
    /** Runs last: stop fakes. */
    afterAll?: () => unknown | Promise<unknown>;
  };
  /** Per-test timeout in ms; default vitest's. */
  timeoutMs?: number;
  /** Instance id handed to the registry; default `conformance`. */
  instanceId?: string;
}

/** What a suite shares between its tests: one registry, one runtime, the raw instance behind it. */
export class ConformanceHarness<K extends ConnectorKind> {
  #config: unknown;
  #ctx: ConnectorContext | undefined;
  #ownCtx: { cleanup(): Promise<void> } | undefined;
  #registry: ConnectorRegistry | undefined;
  #runtime: ConnectorRuntime<K> | undefined;
  #instance: InstanceByKind[K] | undefined;

  constructor(
    readonly manifest: ConnectorManifest<K>,
    readonly options: ConformanceOptions,
  ) {}

  get label(): string {
    return `${this.manifest.kind}-${this.manifest.id}`;
  }

  async setup(): Promise<void> {
    const c = this.options.config;
    this.#config = typeof c === 'function' ? await (c as () => unknown)() : c;
    if (this.options.context) {
      this.#ctx = await this.options.context();
    } else {
      const ctx = await createTestContext();
      this.#ctx = ctx;
      this.#ownCtx = ctx;
    }
  }

  async teardown(): Promise<void> {
    await this.#registry?.stopAll();
    await this.#ownCtx?.cleanup();
  }

  /** The config the suite runs with (after `hooks.beforeAll`). */
  get config(): unknown {
    if (this.#ctx === undefined) throw new Error('the conformance harness is not set up (beforeAll failed?)');
    return this.#config;
  }

  get ctx(): ConnectorContext {
    if (!this.#ctx) throw new Error('the conformance harness is not set up (beforeAll failed?)');
    return this.#ctx;
  }

  /** A registry holding this manifest, whose instances get the suite's context. */
  createRegistry(manifest: AnyConnectorManifest = this.manifest as unknown as AnyConnectorManifest): ConnectorRegistry {
    const ctx = this.ctx;
    const registry = createRegistry({ createContext: ({ logger }) => ({ ...ctx, logger }) });
    registry.register(manifest);
    return registry;
  }

  /**
   * The runtime wrapper every app uses, built by the core registry. The manifest's `create` is wrapped
   * so the suite also holds the raw instance (to check that errors are typed before the runtime
   * normalises them).
   */
  async runtime(): Promise<ConnectorRuntime<K>> {
    if (this.#runtime) return this.#runtime;
    const original = this.manifest;
    const capturing = {
      ...original,
      create: async (config: unknown, ctx: ConnectorContext) => {
        const instance = await original.create(config as never, ctx);
        this.#instance = instance;
        return instance;
      },
    } as unknown as AnyConnectorManifest;
    this.#registry = this.createRegistry(capturing);
    this.#runtime = await this.#registry.instantiate(original.kind, original.id, this.config, {
      instanceId: this.options.instanceId ?? 'conformance',
    });
    await this.#runtime.init();
    return this.#runtime;
  }

  /** The connector's own instance, the one the runtime wraps. */
  async instance(): Promise<InstanceByKind[K]> {
    await this.runtime();
    return this.#instance!;
  }

  /** The config as the connector receives it (parsed by its schema). */
  parsedConfig(): unknown {
    return parseConfig(this.manifest.configSchema, this.config, this.label);
  }

  /** The later of the wall clock and the context clock: what "now" may have been for the connector. */
  latestNow(): Date {
    return new Date(Math.max(Date.now(), this.ctx.clock.now().getTime()));
  }
}
