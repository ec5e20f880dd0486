/**
 * DNS-01 and DNS-PERSIST-01 through operator scripts. Each script runs without a shell (argv only)
 * and with only the documented variables (and the runner's PATH), so nothing of the server's environment (its
 * secrets) leaks into a hook: CERTCTL_DNS_DOMAIN, CERTCTL_DNS_FQDN, CERTCTL_DNS_VALUE, CERTCTL_DNS_TOKEN.
 */
import type { Exec } from '@certctl/core';
import { VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface DnsRecord {
  /** The identifier being validated, without `*.`. */
  domain: string;
  /** `_acme-challenge.<domain>` or `_validation-persist.<domain>`. */
  fqdn: string;
  value: string;
  token: string;
}

export async function runDnsHook(
  exec: Exec,
  script: string,
  phase: 'present' | 'cleanup',
  record: DnsRecord,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const result = await exec(script, [], {
    env: {
      CERTCTL_DNS_DOMAIN: record.domain,
      CERTCTL_DNS_FQDN: record.fqdn,
      CERTCTL_DNS_VALUE: record.value,
      CERTCTL_DNS_TOKEN: record.token,
    },
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxOutputBytes: 16_384,
  });
  if (result.exitCode !== 0) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : `exited with ${result.exitCode ?? result.signal}`;
    throw new VendorApiError({
      connector: CONNECTOR,
      message: `DNS ${phase} script ${script} ${why} for ${record.fqdn}: ${result.stderr.trim().slice(0, 500) || '(no stderr)'}`,
      retryable: result.timedOut,
    });
  }
}
