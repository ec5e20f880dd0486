import { isIP } from 'node:net';
import { ConnectorError, DeadlineExceededError } from '@certctl/core';
import { derToPem } from '@certctl/pki';
import { formatIpAddress, type IpCidr, parseCidr } from './ip-address.js';
import { createSsrfPolicy } from './ssrf-policy.js';
import { type ProbeTlsOptions, probeTlsCertificate, type StartTlsProtocol } from './tls-probe.js';

/**
 * Active TLS scanning of address ranges and host names, shared by the server and the agent so both
 * plan, refuse and probe the same way: the guard rails (CIDR width, SSRF classes, loopback only
 * when allowed, bounded concurrency and rate, per-connection timeouts) live here once.
 */

/** How each probed endpoint ended. */
export interface NetworkScanOutcomes {
  found: number;
  refused: number;
  timeout: number;
  failed: number;
}

/** Addresses not probed, grouped by why (a few examples each). */
export interface NetworkScanSkip {
  reason: string;
  count: number;
  examples: string[];
}

/** The admin's limits for one scan. */
export interface NetworkScanLimits {
  maxAddressesPerCidr: number;
  allowLoopback: boolean;
  concurrency: number;
  ratePerSecond: number;
}

/** Ports whose services speak plain text first and upgrade with STARTTLS (SMTP, submission, IMAP, POP3). */
export const STARTTLS_PORTS: Readonly<Record<number, StartTlsProtocol>> = {
  25: 'smtp',
  587: 'smtp',
  143: 'imap',
  110: 'pop3',
};

export interface ScanPlanInput {
  cidrs: readonly string[];
  hosts: readonly string[];
  ports: readonly number[];
}

/** One address:port to probe; `servername` (SNI) and `label` are the host name when the target named one. */
export interface ScanEndpoint {
  address: string;
  port: number;
  servername?: string;
  /** How the finding is recorded: `host:port` (the name when given, else the address). */
  label: string;
}

/** How many addresses a CIDR block holds. */
export function cidrSize(cidr: IpCidr): bigint {
  return 1n << BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
}

/** The problem with a CIDR given the limit, or undefined when it is acceptable. */
export function cidrProblem(text: string, maxAddresses: number): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr || !text.includes('/')) return `"${text}" is not a CIDR block such as 10.0.1.0/24`;
  if (cidrSize(cidr) > BigInt(maxAddresses)) {
    return `${text} holds ${cidrSize(cidr)} addresses, more than the limit of ${maxAddresses} (an admin can raise max_addresses_per_cidr in the network scan settings)`;
  }
  return undefined;
}

function* addressesOf(cidr: IpCidr): Generator<string> {
  const size = cidrSize(cidr);
  for (let offset = 0n; offset < size; offset++)
    yield formatIpAddress({ family: cidr.family, value: cidr.base + offset });
}

class SkipTally {
  private readonly byReason = new Map<string, NetworkScanSkip>();
  add(reason: string, what: string): void {
    const entry = this.byReason.get(reason) ?? { reason, count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 5) entry.examples.push(what);
    this.byReason.set(reason, entry);
  }
  list(): NetworkScanSkip[] {
    return [...this.byReason.values()];
  }
}

export interface ScanPlan {
  endpoints: ScanEndpoint[];
  skipped: NetworkScanSkip[];
}

/**
 * Expands a target into endpoints, refusing what the SSRF policy refuses (cloud metadata,
 * link-local, multicast, reserved; loopback unless allowed). Host names are resolved once and
 * every address checked; the probe then connects to the checked address with the name as SNI.
 */
export async function planScan(
  input: ScanPlanInput,
  settings: Pick<NetworkScanLimits, 'allowLoopback'>,
  resolve?: (hostname: string) => Promise<readonly { address: string; family: number }[]>,
): Promise<ScanPlan> {
  const policy = createSsrfPolicy({
    allowPrivate: true,
    allowLoopback: settings.allowLoopback,
    ...(resolve && { resolve }),
  });
  const skipped = new SkipTally();
  const endpoints: ScanEndpoint[] = [];
  const seen = new Set<string>();
  const add = (address: string, servername?: string) => {
    for (const port of input.ports) {
      const host = servername ?? address;
      const label = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
      if (seen.has(`${label}@${address}`)) continue;
      seen.add(`${label}@${address}`);
      endpoints.push({ address, port, servername, label });
    }
  };
  const reasonOf = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const match = /: ([a-z-]+ address|cloud metadata service)/.exec(message);
    return match?.[1] ?? message.replace(/^\[certctl\] /, '');
  };
  for (const text of input.cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) continue;
    for (const address of addressesOf(cidr)) {
      try {
        policy.assertAddress(address);
        add(address);
      } catch (error) {
        skipped.add(reasonOf(error), address);
      }
    }
  }
  for (const host of input.hosts) {
    try {
      const addresses = await policy.resolveChecked(host);
      for (const { address } of addresses) add(address, isIP(host) ? undefined : host);
    } catch (error) {
      skipped.add(reasonOf(error), host);
    }
  }
  return { endpoints, skipped: skipped.list() };
}

export interface ProbeResult {
  endpoint: ScanEndpoint;
  outcome: keyof NetworkScanOutcomes;
  certificateDer?: Uint8Array;
  error?: string;
}

export type Prober = (options: ProbeTlsOptions) => Promise<Uint8Array>;

/** Starts at most `perSecond` probes per second, however many workers ask. */
function startLimiter(perSecond: number, signal: AbortSignal): () => Promise<void> {
  const spacing = 1000 / perSecond;
  let next = Date.now();
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + spacing;
    if (at > now) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, at - now);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  };
}

function outcomeOf(error: unknown): { outcome: keyof NetworkScanOutcomes; error: string } {
  if (DeadlineExceededError.isInstance(error)) return { outcome: 'timeout', error: 'timed out' };
  const cause = ConnectorError.isInstance(error) ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (cause?.code === 'ECONNREFUSED') return { outcome: 'refused', error: 'connection refused' };
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'failed', error: message.replace(/^\[certctl\] (\[[^\]]+\] )?/, '') };
}

/**
 * Probes every endpoint with at most `concurrency` connections open and `ratePerSecond` started per
 * second, each with its own timeout; STARTTLS on the mail ports. Never throws for an endpoint.
 */
export async function probeEndpoints(
  endpoints: readonly ScanEndpoint[],
  options: { concurrency: number; ratePerSecond: number; timeoutMs: number; signal: AbortSignal; probe?: Prober },
): Promise<ProbeResult[]> {
  const probe = options.probe ?? probeTlsCertificate;
  const limit = startLimiter(options.ratePerSecond, options.signal);
  const results: ProbeResult[] = [];
  let index = 0;
  const worker = async () => {
    while (index < endpoints.length && !options.signal.aborted) {
      const endpoint = endpoints[index++]!;
      await limit();
      if (options.signal.aborted) break;
      try {
        const der = await probe({
          host: endpoint.address,
          port: endpoint.port,
          servername: endpoint.servername,
          starttls: STARTTLS_PORTS[endpoint.port],
          timeoutMs: options.timeoutMs,
          signal: options.signal,
          connector: 'network-scan',
        });
        results.push({ endpoint, outcome: 'found', certificateDer: der });
      } catch (error) {
        results.push({ endpoint, ...outcomeOf(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, endpoints.length) }, worker));
  return results;
}

function describeRange(endpoints: readonly ScanEndpoint[]): string {
  const hosts = [...new Set(endpoints.map((e) => e.servername ?? e.address))];
  const ports = [...new Set(endpoints.map((e) => e.port))];
  const shown = hosts.length > 4 ? `${hosts.slice(0, 3).join(', ')} … ${hosts.at(-1)}` : hosts.join(', ');
  return `${hosts.length} address${hosts.length === 1 ? '' : 'es'} (${shown}) × port${ports.length === 1 ? '' : 's'} ${ports.join(', ')}`;
}

/** What a scan reports: the certificates found (PEM, by `host:port`), outcome counts, errors and a sentence saying what it tried. */
export interface NetworkScanReport {
  endpointsProbed: number;
  outcomes: NetworkScanOutcomes;
  findings: { endpoint: string; certificatePem: string }[];
  skipped: NetworkScanSkip[];
  errors: { endpoint: string; error: string }[];
  summary: string;
  aborted: boolean;
  durationMs: number;
}

/** Sums up a finished (or cancelled) scan; errors are capped at 100. */
export function summarizeScan(
  plan: ScanPlan,
  results: readonly ProbeResult[],
  options: { aborted: boolean; durationMs: number },
): NetworkScanReport {
  const outcomes: NetworkScanOutcomes = { found: 0, refused: 0, timeout: 0, failed: 0 };
  for (const result of results) outcomes[result.outcome]++;
  const findings = results.flatMap((r) =>
    r.certificateDer ? [{ endpoint: r.endpoint.label, certificatePem: derToPem(r.certificateDer, 'CERTIFICATE') }] : [],
  );
  const errors = results
    .filter((r) => r.outcome === 'failed' || r.outcome === 'timeout')
    .slice(0, 100)
    .map((r) => ({ endpoint: r.endpoint.label, error: r.error ?? r.outcome }));
  const tried =
    plan.endpoints.length > 0
      ? `probed ${plan.endpoints.length} endpoints: ${describeRange(plan.endpoints)}`
      : 'probed no endpoint';
  const skippedText = plan.skipped.map((s) => `${s.count} skipped (${s.reason}: ${s.examples.join(', ')})`).join('; ');
  const outcomeText = (Object.entries(outcomes) as [string, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const summary = [
    options.aborted
      ? 'cancelled'
      : outcomes.found > 0
        ? `found ${outcomes.found} certificates`
        : 'found no certificate',
    tried,
    outcomeText && `outcomes: ${outcomeText}`,
    skippedText,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    endpointsProbed: results.length,
    outcomes,
    findings,
    skipped: plan.skipped,
    errors,
    summary,
    aborted: options.aborted,
    durationMs: options.durationMs,
  };
}

/** Checks the target against the limits, plans, probes and sums up: one scan, as the server or an agent runs it. */
export async function runNetworkScan(
  input: ScanPlanInput & { timeoutMs: number },
  limits: NetworkScanLimits,
  options: {
    signal: AbortSignal;
    probe?: Prober;
    resolve?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
    onResult?: (result: ProbeResult) => void;
  },
): Promise<NetworkScanReport> {
  const problems = networkScanTargetProblems(input, limits);
  if (problems.length)
    throw new ConnectorError({ connector: 'network-scan', message: problems.join('; '), retryable: false });
  const started = Date.now();
  const plan = await planScan(input, limits, options.resolve);
  const results = await probeEndpoints(plan.endpoints, {
    concurrency: limits.concurrency,
    ratePerSecond: limits.ratePerSecond,
    timeoutMs: input.timeoutMs,
    signal: options.signal,
    probe: options.probe,
  });
  for (const result of results) options.onResult?.(result);
  return summarizeScan(plan, results, { aborted: options.signal.aborted, durationMs: Date.now() - started });
}

/** What is wrong with a target under these limits (CIDR syntax and width, nothing to scan); empty when it may run. */
export function networkScanTargetProblems(
  input: Pick<ScanPlanInput, 'cidrs' | 'hosts'>,
  limits: Pick<NetworkScanLimits, 'maxAddressesPerCidr'>,
): string[] {
  const problems = input.cidrs.flatMap((cidr) => cidrProblem(cidr, limits.maxAddressesPerCidr) ?? []);
  if (input.cidrs.length + input.hosts.length === 0) problems.push('give at least one CIDR or host name');
  return problems;
}
