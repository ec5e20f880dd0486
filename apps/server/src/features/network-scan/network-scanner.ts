import { isIP } from 'node:net';
import {
  type IpCidr,
  createSsrfPolicy,
  formatIpAddress,
  parseCidr,
  probeTlsCertificate,
  type ProbeTlsOptions,
  type StartTlsProtocol,
} from '@certctl/connector-utils';
import { ConnectorError, DeadlineExceededError } from '@certctl/core';
import type { NetworkScanOutcomes, NetworkScanSkip } from './network-scan-tables.js';
import type { NetworkScanSettings } from './network-scan-settings.js';

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
  settings: NetworkScanSettings,
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
