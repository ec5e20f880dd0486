import type { ConnectorLogger } from '@certctl/core';
import { type NetworkScanReport, type Prober, runNetworkScan } from '@certctl/connector-utils';
import type { NetworkScanReportBody, NetworkScanWorkItem } from '@certctl/wire';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs one network scan the server handed over, from this host's network, with the guard rails the
 * server sent (CIDR width, loopback, concurrency, rate, per-connection timeout) applied by the same
 * code the server uses. A target the limits refuse is reported as a failed scan saying why.
 */
export async function runHandedNetworkScan(
  item: NetworkScanWorkItem,
  options: { signal: AbortSignal; logger: ConnectorLogger; probe?: Prober },
): Promise<NetworkScanReportBody> {
  const limits = {
    maxAddressesPerCidr: item.limits.max_addresses_per_cidr,
    allowLoopback: item.limits.allow_loopback,
    concurrency: item.limits.concurrency,
    ratePerSecond: item.limits.rate_per_second,
  };
  let report: NetworkScanReport;
  try {
    report = await runNetworkScan(
      { cidrs: item.cidrs, hosts: item.hosts, ports: item.ports, timeoutMs: item.timeout_ms },
      limits,
      { signal: options.signal, ...(options.probe && { probe: options.probe }) },
    );
  } catch (error) {
    if (options.signal.aborted) throw error;
    options.logger.error({ scan_id: item.scan_id, error: message(error) }, 'network scan refused');
    return {
      status: 'failed',
      endpoints_probed: 0,
      outcomes: { found: 0, refused: 0, timeout: 0, failed: 0 },
      findings: [],
      skipped: [],
      errors: [],
      summary: `not scanned: ${message(error).replace(/^\[certctl\] (\[[^\]]+\] )?/, '')}`.slice(0, 4000),
      duration_ms: 0,
    };
  }
  return {
    status: report.aborted ? 'failed' : 'succeeded',
    endpoints_probed: report.endpointsProbed,
    outcomes: report.outcomes,
    findings: report.findings
      .slice(0, 10_000)
      .map((f) => ({ endpoint: f.endpoint, certificate_pem: f.certificatePem })),
    skipped: report.skipped.slice(0, 100),
    errors: report.errors.map((e) => ({ endpoint: e.endpoint.slice(0, 300), error: e.error.slice(0, 1000) })),
    summary: report.summary.slice(0, 4000),
    duration_ms: Math.min(report.durationMs, 2_147_483_647),
  };
}
