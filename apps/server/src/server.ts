import { randomBytes } from 'node:crypto';
import { startMetricsListener } from './observability/metrics-listener.js';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import { referenceVariablesWarning, type ServerConfig } from './config/index.js';
import { createLiveTrustBundles } from './config/trust-bundle-file.js';
import { loadTlsMaterial, type TlsMaterial } from './connectors/bootstrap-tls.js';
import { loadConfigCipher } from './connectors/encryption-key.js';
import { BUILTIN_ISSUER, seedIssuersFromEnv, seedNotifiersFromEnv } from './connectors/env-seeding.js';
import { createIssuerRuntimes } from './connectors/issuer-runtimes.js';
import { createNotifierRuntimes } from './connectors/notifier-runtimes.js';
import type { ServerRegistry } from './connectors/server-registry.js';
import { type DataDirLock, lockDataDir } from './db/data-dir-lock.js';
import { openDatabase, type OpenedDatabase } from './db/open-database.js';
import { createAuthenticator } from './http/authentication.js';
import { buildHttpApp, type ResponseCheck } from './http/build-app.js';
import { assertCanListen } from './http/listen-check.js';
import { openApiRoute } from './http/openapi.js';
import type { RouteGroup } from './http/route-spec.js';
import { SERVER_FEATURES } from './features/index.js';
import type { FeatureParts, ServerFeature } from './features/server-feature.js';
import { createRateLimiter } from './http/rate-limiter.js';
import type { ServerLogger } from './observability/logger.js';
import { createServerMetrics } from './observability/metrics.js';
import { createJobRunner, type JobRunner } from './scheduler/job-runner.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { createEnvKeyRing, ensureBootstrapAdminKey } from './shared/api-keys.js';
import type { FaultHook } from './shared/fault-points.js';
import type { ServiceDeps } from './shared/service-deps.js';

export const SERVER_VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export interface StartServerOptions {
  config: ServerConfig;
  logger: ServerLogger;
  /** Connectors registered (installed ones loaded) by the caller. */
  connectors: ServerRegistry;
  /** Bind the listeners (default true); tests may use `app.inject` instead. */
  listen?: boolean;
  /** Run the scheduler loops (default: config.scheduler.enabled). */
  scheduler?: boolean;
  /** An open PGlite to use instead of one in the data dir (tests share one per file). */
  // Typed as an opaque object: PGlite's own declarations need Emscripten's global types, which would
  // make every user of the server's types install @types/emscripten (the release check's strict build).
  pglite?: object;
  /** The features to compose (default: all of them). */
  features?: readonly ServerFeature[];
  replicaId?: string;
  now?: () => Date;
  /** Sees every answer the route specs send (the test server checks them against their schemas). */
  responseCheck?: ResponseCheck;
  /** Fault-injection tests: stops the work at named crash points (see fault-points.ts). */
  faultHook?: FaultHook;
}

export interface RunningServer {
  deps: ServiceDeps;
  database: OpenedDatabase;
  api: FastifyInstance;
  pki: FastifyInstance;
  runner: JobRunner;
  scheduler: Scheduler;
  tls: TlsMaterial;
  /** The admin key created at the very first start (print once), else undefined. */
  bootstrapAdminKey?: string;
  /** `metrics`: the full URL of the separate scrape listener (CERTCTL_METRICS_LISTEN). */
  urls: { api?: string; pki?: string; metrics?: string };
  close(): Promise<void>;
}

function baseUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shown}:${port}`;
}

/** Composes the control plane: database, connectors, services, both listeners and the scheduler. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const ignored = referenceVariablesWarning(config.referenceVariablesNotRead);
  if (ignored) logger.warn({ variables: config.referenceVariablesNotRead }, ignored);
  const cleanup: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    if (options.listen !== false)
      await assertCanListen([
        { host: config.server.host, port: config.server.port, variable: 'CERTCTL_SERVER_PORT' },
        { host: config.server.host, port: config.pkiHttp.port, variable: 'CERTCTL_PKI_HTTP_PORT' },
        ...(config.metricsListener ? [{ ...config.metricsListener, variable: 'CERTCTL_METRICS_LISTEN' }] : []),
      ]);
    let lock: DataDirLock | undefined;
    if (!config.database.url && !options.pglite) {
      lock = lockDataDir(config.dataDir);
      cleanup.push(() => lock?.release());
    }
    const database = await openDatabase({
      url: config.database.url,
      dataDir: join(config.dataDir, 'db'),
      pglite: options.pglite as PGlite | undefined,
      keepPglite: Boolean(options.pglite),
      maxConnections: config.database.maxConnections,
    });
    cleanup.push(() => database.close());
    const metrics = createServerMetrics();
    const { cipher } = await loadConfigCipher(database.db, {
      passphrase: config.configEncryptionKey,
      dataDir: config.dataDir,
    });
    const { registry } = options.connectors;
    options.connectors.attach({
      db: database.db,
      cipher,
      metrics,
      environment: {
        app: 'server',
        publicBaseUrl: config.server.publicUrl ?? baseUrl('https', config.server.host, config.server.port),
        pkiHttpBaseUrl: config.pkiHttp.publicUrl ?? baseUrl('http', config.server.host, config.pkiHttp.port),
      },
      notifierBaseUrl: config.notifications.dashboardUrl,
      networkAllow: config.network.allow,
    });
    const issuers = createIssuerRuntimes(database.db, registry, cipher);
    const notifiers = createNotifierRuntimes(database.db, registry, cipher);
    cleanup.push(async () => {
      options.connectors.abortAll();
      await issuers.stopAll();
      await notifiers.stopAll();
      await registry.stopAll();
      options.connectors.removeScratch();
    });
    const seededIssuers = await seedIssuersFromEnv(database.db, registry, cipher, config.connectorEnv);
    await seedNotifiersFromEnv(database.db, registry, cipher, config.connectorEnv);

    let runner: JobRunner | undefined;
    const deps: ServiceDeps = {
      db: database.db,
      dialect: database.dialect,
      registry,
      connectorNetwork: options.connectors.network(),
      issuers,
      notifiers,
      cipher,
      metrics,
      logger,
      settings: {
        approvalBypass: config.approvalBypass,
        jobMaxAttempts: config.jobs.maxAttempts,
        jobLeaseMs: config.jobs.leaseMs,
        caOrderTimeoutMs: config.jobs.caOrderTimeoutMs,
        crlValidityMs: config.crlValidityMs,
        ocspValidityMs: config.ocspValidityMs,
        pkiRateLimitPerIpMin: config.pkiRateLimitPerIpMin,
        agentBootstrapToken: config.auth.agentBootstrapToken,
        agentOfflineAfterMs: config.agentOfflineAfterMs,
        awaitingCsrTimeoutMs: config.jobs.awaitingCsrTimeoutMs,
        awaitingApprovalTimeoutMs: config.jobs.awaitingApprovalTimeoutMs,
        notifications: config.notifications,
      },
      replicaId: options.replicaId ?? `replica-${randomBytes(6).toString('hex')}`,
      now: options.now ?? (() => new Date()),
      notifyJobs: () => runner?.wake(),
      trustBundles: createLiveTrustBundles(),
      faultHook: options.faultHook,
    };
    const bootstrapIssuer = seededIssuers.find((issuer) => issuer.type === BUILTIN_ISSUER.connector);
    const tls = await loadTlsMaterial({
      certPath: config.server.tlsCertPath,
      keyPath: config.server.tlsKeyPath,
      dataDir: config.dataDir,
      host: config.server.host,
      localCa: bootstrapIssuer ? await issuers.get(bootstrapIssuer.id) : undefined,
    });

    const parts: FeatureParts[] = [];
    for (const feature of options.features ?? SERVER_FEATURES) {
      const added = await feature.setup({ version: SERVER_VERSION, deps, config, tls });
      parts.push(added);
      if (added.close) cleanup.push(() => added.close?.());
    }
    const executors = parts.flatMap((p) => (p.executeJob ? [p.executeJob] : []));
    if (executors.length !== 1) throw new Error(`exactly one feature must run jobs; ${executors.length} do`);
    for (const gauge of parts.flatMap((p) => p.gauges ?? []))
      metrics.addCollectedGauge(gauge.name, gauge.help, gauge.labelNames, gauge.collect);

    const schedulerOn = options.scheduler ?? config.scheduler.enabled;
    runner = createJobRunner(deps, { concurrency: config.scheduler.renewalConcurrency, execute: executors[0]! });
    const scheduler = createScheduler(deps, runner, {
      jobProcessorMs: config.scheduler.jobProcessorMs,
      loops: parts.flatMap((p) => p.loops ?? []),
    });
    if (!schedulerOn) deps.notifyJobs = () => {};
    cleanup.push(() => scheduler.stop());

    const authenticator = createAuthenticator({
      db: database.db,
      envKeys: createEnvKeyRing(config.auth.namedKeys),
      agentBootstrapToken: config.auth.agentBootstrapToken,
    });
    const limits = config.http.rateLimit;
    const rateLimiter = limits.enabled ? createRateLimiter({ rps: limits.rps, burst: limits.burst }) : undefined;
    const userRateLimiter = limits.enabled ? createRateLimiter(limits.perUser) : undefined;
    const common = {
      authenticator,
      rateLimiter,
      userRateLimiter,
      corsOrigins: config.http.corsOrigins,
      bodyLimit: config.http.maxBodyBytes,
      connectionLimits: config.http.connections,
      logger,
      metrics,
      responseCheck: options.responseCheck,
    };
    const apiGroups: RouteGroup[] = parts.flatMap((p) => p.api ?? []);
    const apiRoutes = () => apiGroups.flatMap((group) => group.routes);
    apiGroups.push({ name: 'openapi', routes: [openApiRoute(apiRoutes, { version: SERVER_VERSION })] });
    const api = await buildHttpApp({
      ...common,
      groups: apiGroups,
      fallbacks: parts.flatMap((p) => (p.pageFallback ? [p.pageFallback] : [])),
      tls: {
        cert: tls.cert,
        key: tls.key,
        requestCert: parts.some((p) => p.requestsClientCertificates),
      },
    });
    cleanup.push(() => api.close());
    const pki = await buildHttpApp({ ...common, groups: parts.flatMap((p) => p.pki ?? []) });
    cleanup.push(() => pki.close());

    const urls: RunningServer['urls'] = {};
    if (options.listen !== false) {
      await api.listen({ host: config.server.host, port: config.server.port });
      const apiPort = (api.server.address() as { port: number }).port;
      urls.api = baseUrl('https', config.server.host, apiPort);
      await pki.listen({ host: config.server.host, port: config.pkiHttp.port });
      urls.pki = baseUrl('http', config.server.host, (pki.server.address() as { port: number }).port);
      if (config.metricsListener) {
        const scrape = await startMetricsListener({ ...config.metricsListener, registry: metrics.registry });
        cleanup.push(() => scrape.close());
        urls.metrics = scrape.url;
      }
    }
    // Made only once both listeners are bound: a start that fails earlier leaves no key unseen.
    const bootstrapAdminKey = await ensureBootstrapAdminKey(deps, config.auth.namedKeys.length > 0);
    if (schedulerOn) scheduler.start();
    return { deps, database, api, pki, runner, scheduler, tls, bootstrapAdminKey, urls, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
