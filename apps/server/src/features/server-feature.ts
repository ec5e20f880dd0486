import type { MetricLabels } from '@certctl/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnyFeatureSettings, ServerConfig } from '../config/index.js';
import type { TlsMaterial } from '../connectors/bootstrap-tls.js';
import type { RouteGroup } from '../http/route-spec.js';
import type { JobExecutor } from '../scheduler/job-runner.js';
import type { ScheduledLoop } from '../scheduler/scheduler.js';
import type { ServiceDeps } from '../shared/service-deps.js';

/** What a feature is set up with: the domain dependencies, the parsed configuration, the HTTPS key pair. */
export interface FeatureContext {
  /** The server's version (meta routes, OpenAPI). */
  version: string;
  deps: ServiceDeps;
  config: ServerConfig;
  tls: TlsMaterial;
}

/** A gauge read when `/metrics` is scraped (counts of the feature's rows by status, ...). */
export interface CollectedGauge {
  name: string;
  help: string;
  labelNames: string[];
  collect(): Promise<{ labels?: MetricLabels; value: number }[]>;
}

/** Sends an answer for a request no route matched, or returns undefined to pass. */
export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

/** Everything a feature adds to the running server; every part is optional. */
export interface FeatureParts {
  /** Routes of the HTTPS listener: API routes, or a protocol's endpoints with their own body parsing. */
  api?: readonly RouteGroup[];
  /** Routes of the plain-HTTP listener (what relying parties fetch without TLS: CRL, OCSP, SCEP). */
  pki?: readonly RouteGroup[];
  /** Periodic work, run by the scheduler under the loop's leader lock. */
  loops?: readonly ScheduledLoop[];
  gauges?: readonly CollectedGauge[];
  /** The HTTPS listener asks clients for a certificate (verified per request by the feature). */
  requestsClientCertificates?: boolean;
  /**
   * Answers a GET or HEAD of the HTTPS listener that no route matched (the dashboard's client-side
   * paths get index.html); undefined lets the next fallback, then the 404 envelope, answer.
   */
  pageFallback?: PageFallback;
  /** Runs claimed jobs; exactly one feature provides it. */
  executeJob?: JobExecutor;
  /** Stops the feature's own timers and queues, after the listeners closed and before the database does. */
  close?(): Promise<void> | void;
}

/**
 * One server feature (certificates, agents, ACME, ...). Its folder holds its routes, services, tables,
 * migrations (`migrations/<timestamp>-<name>.ts`, collected into the generated index) and this
 * declaration; the server is composed from the list in `features/index.ts`.
 */
export interface ServerFeature {
  name: string;
  /**
   * The `CERTCTL_*` variables the feature reads (`defineFeatureSettings`); the loader parses them at
   * start and the result is `context.config[settings.key]`. The docs table lists them.
   */
  settings?: AnyFeatureSettings;
  setup(context: FeatureContext): FeatureParts | Promise<FeatureParts>;
}

export function defineServerFeature(feature: ServerFeature): ServerFeature {
  return feature;
}
