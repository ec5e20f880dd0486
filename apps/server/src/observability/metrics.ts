import type { ConnectorMetrics, MetricLabels } from '@certctl/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  issuanceTotal: Counter<'issuer_type' | 'outcome'>;
  issuanceDuration: Histogram<'issuer_type'>;
  revocationsTotal: Counter<'reason'>;
  approvalDecisions: Counter<'outcome'>;
  jobsProcessed: Counter<'type' | 'outcome'>;
  /** Jobs taken over from a replica that stopped renewing its lease (it died or lost the database). */
  jobLeaseExpirations: Counter<'type'>;
  /** Work refused because the database could not be reached: HTTP answers 503, scheduler passes skipped. */
  databaseUnavailable: Counter<'source'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Request duration by route pattern (never the raw URL, so ids do not make series). */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  ocspResponses: Counter<'status' | 'cache'>;
  /** Notification delivery attempts: result sent, failed (will retry) or dead_lettered. */
  notificationsTotal: Counter<'channel' | 'event' | 'result'>;
  /** Intune dynamic SCEP challenges by profile and result (accepted, or why they were refused). */
  scepIntuneChallenges: Counter<'scep_profile' | 'result'>;
  /** ACME server: accounts created, orders created, challenge validations. */
  acmeAccountsCreated: Counter<'profile'>;
  acmeOrdersCreated: Counter<'profile' | 'auth_mode'>;
  acmeChallengeValidations: Counter<'type' | 'result'>;
  /** A gauge whose value is read when /metrics is scraped. */
  addCollectedGauge(
    name: string,
    help: string,
    labelNames: string[],
    collect: () => Promise<{ labels?: MetricLabels; value: number }[]>,
  ): void;
  /** The adapter connectors get as `ctx.metrics`: names are prefixed `certctl_connector_`. */
  forConnector(connector: string): ConnectorMetrics;
}

/** One prom-client registry per server instance (tests run several in one process). */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  // Process and Node runtime metrics (CPU, memory, event loop lag, GC, handles) under their usual names.
  collectDefaultMetrics({ register: registry });
  const started = Date.now();
  new Gauge({
    name: 'certctl_uptime_seconds',
    help: 'Seconds since the server started',
    registers: [registry],
    collect() {
      this.set((Date.now() - started) / 1000);
    },
  });
  const issuanceTotal = new Counter({
    name: 'certctl_issuance_total',
    help: 'Issuance attempts by outcome',
    labelNames: ['issuer_type', 'outcome'] as const,
    registers: [registry],
  });
  const issuanceDuration = new Histogram({
    name: 'certctl_issuance_duration_seconds',
    help: 'Time the issuer took to sign',
    labelNames: ['issuer_type'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  const revocationsTotal = new Counter({
    name: 'certctl_revocations_total',
    help: 'Certificates revoked',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const approvalDecisions = new Counter({
    name: 'certctl_approval_decisions_total',
    help: 'Approval decisions',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const jobsProcessed = new Counter({
    name: 'certctl_jobs_processed_total',
    help: 'Jobs finished by the job runner',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const jobLeaseExpirations = new Counter({
    name: 'certctl_job_lease_expirations_total',
    help: 'Jobs taken over after the lease of the replica running them expired (that replica died or lost the database)',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const databaseUnavailable = new Counter({
    name: 'certctl_database_unavailable_total',
    help: 'Requests answered 503 (source http) and scheduler passes that failed (source scheduler) because the database could not be reached',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const ocspResponses = new Counter({
    name: 'certctl_ocsp_responses_total',
    help: 'OCSP answers by certificate or error status, and whether they came from the pre-signed cache',
    labelNames: ['status', 'cache'] as const,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'certctl_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpRequestDuration = new Histogram({
    name: 'certctl_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const notificationsTotal = new Counter({
    name: 'certctl_notifications_total',
    help: 'Notification delivery attempts by channel, event and result (sent, failed, dead_lettered)',
    labelNames: ['channel', 'event', 'result'] as const,
    registers: [registry],
  });
  const scepIntuneChallenges = new Counter({
    name: 'certctl_scep_intune_enrollments_total',
    help: 'Intune dynamic SCEP challenges by profile and result (accepted, malformed, signature, expired, replay, rate_limited, ...)',
    labelNames: ['scep_profile', 'result'] as const,
    registers: [registry],
  });
  const acmeAccountsCreated = new Counter({
    name: 'certctl_acme_accounts_created_total',
    help: 'ACME accounts created, by certificate profile',
    labelNames: ['profile'] as const,
    registers: [registry],
  });
  const acmeOrdersCreated = new Counter({
    name: 'certctl_acme_orders_created_total',
    help: 'ACME orders created, by certificate profile and authorization mode',
    labelNames: ['profile', 'auth_mode'] as const,
    registers: [registry],
  });
  const acmeChallengeValidations = new Counter({
    name: 'certctl_acme_challenge_validations_total',
    help: 'ACME challenge validations by type (http-01, dns-01, tls-alpn-01) and result (valid, invalid)',
    labelNames: ['type', 'result'] as const,
    registers: [registry],
  });

  const connectorMetrics = new Map<string, Counter | Histogram | Gauge>();
  const metricFor = <T extends Counter | Histogram | Gauge>(
    kind: 'counter' | 'histogram' | 'gauge',
    rawName: string,
    labels: MetricLabels | undefined,
    make: (name: string, labelNames: string[]) => T,
  ): T => {
    const name = `certctl_connector_${rawName.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const key = `${kind}:${name}`;
    let metric = connectorMetrics.get(key) as T | undefined;
    if (!metric) {
      metric = make(name, ['connector', ...Object.keys(labels ?? {})]);
      connectorMetrics.set(key, metric);
    }
    return metric;
  };

  return {
    registry,
    issuanceTotal,
    issuanceDuration,
    revocationsTotal,
    approvalDecisions,
    jobsProcessed,
    jobLeaseExpirations,
    databaseUnavailable,
    httpRequests,
    httpRequestDuration,
    ocspResponses,
    notificationsTotal,
    scepIntuneChallenges,
    acmeAccountsCreated,
    acmeOrdersCreated,
    acmeChallengeValidations,
    addCollectedGauge(name, help, labelNames, collect) {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          for (const sample of await collect()) {
            if (sample.labels) this.set(sample.labels, sample.value);
            else this.set(sample.value);
          }
        },
      });
    },
    forConnector(connector) {
      // A connector's label set must stay the same per metric name; a mismatch is dropped, not thrown.
      const safely = (fn: () => void) => {
        try {
          fn();
        } catch {}
      };
      return {
        increment(name, labels, value = 1) {
          safely(() =>
            metricFor(
              'counter',
              name,
              labels,
              (n, l) =>
                new Counter({ name: n, help: `connector metric ${name}`, labelNames: l, registers: [registry] }),
            ).inc({ connector, ...labels }, value),
          );
        },
        observe(name, value, labels) {
          safely(() =>
            metricFor(
              'histogram',
              name,
              labels,
              (n, l) =>
                new Histogram({ name: n, help: `connector metric ${name}`, labelNames: l, registers: [registry] }),
            ).observe({ connector, ...labels }, value),
          );
        },
        set(name, value, labels) {
          safely(() =>
            metricFor(
              'gauge',
              name,
              labels,
              (n, l) => new Gauge({ name: n, help: `connector metric ${name}`, labelNames: l, registers: [registry] }),
            ).set({ connector, ...labels }, value),
          );
        },
      };
    },
  };
}
