/**
 * Answers the pending authorizations of an order with the configured challenge type: HTTP-01
 * through the responder or web root, DNS-01 and DNS-PERSIST-01 through the hook scripts. Valid
 * authorizations (reused by the CA) are skipped. dns-persist-01 falls back to dns-01 for an
 * authorization that does not offer it, since CAs are still rolling the draft out.
 */
import type { Authorization, Client } from 'acme-client';
import { type ConnectorContext, VendorApiError } from '@certctl/core';
import { describeProblem, isAcmeProblem } from './acme-errors.js';
import type { AcmeIssuerConfig, ChallengeType } from './acme-config.js';
import { CONNECTOR } from './connector-name.js';
import { type DnsRecord, runDnsHook } from './dns-hooks.js';
import type { Http01Publisher } from './http01-responder.js';

interface AcmeChallenge {
  type: string;
  url: string;
  status: string;
  token?: string;
  error?: unknown;
  'issuer-domain-names'?: string[];
}

interface Prepared {
  authz: Authorization;
  challenge: AcmeChallenge;
  undo: () => Promise<void>;
}

export interface SolveOptions {
  client: Client;
  config: AcmeIssuerConfig;
  ctx: ConnectorContext;
  http01: Http01Publisher;
  accountUrl: string;
  signal: AbortSignal;
}

/** The challenge type used for this authorization, after the dns-persist-01 fallback. */
export function challengeTypeFor(configured: ChallengeType, offered: readonly string[]): ChallengeType {
  if (configured === 'dns-persist-01' && !offered.includes('dns-persist-01')) return 'dns-01';
  return configured;
}

/** The TXT value of a dns-persist-01 record (draft-ietf-acme-dns-persist): issuer domain and account URI. */
export function persistRecordValue(issuerDomain: string, accountUrl: string, wildcard: boolean): string {
  return `${issuerDomain}; accounturi=${accountUrl}${wildcard ? '; policy=wildcard' : ''}`;
}

export async function solveAuthorizations(authzs: Authorization[], options: SolveOptions): Promise<void> {
  const { client, config, ctx } = options;
  const prepared: Prepared[] = [];
  let usedDns = false;
  try {
    for (const authz of authzs) {
      if (authz.status === 'valid') continue;
      if (authz.status !== 'pending') {
        throw new VendorApiError({
          connector: CONNECTOR,
          message: `authorization for ${authz.identifier.value} is ${authz.status}; the CA will not validate it again`,
          retryable: false,
        });
      }
      const challenges = authz.challenges as unknown as AcmeChallenge[];
      const offered = challenges.map((c) => c.type);
      const type = challengeTypeFor(config.challenge_type, offered);
      if (type !== config.challenge_type) {
        ctx.logger.warn(
          { domain: authz.identifier.value, offered },
          'the CA does not offer dns-persist-01 here; falling back to dns-01',
        );
      }
      const challenge = challenges.find((c) => c.type === type);
      if (!challenge) {
        throw new VendorApiError({
          connector: CONNECTOR,
          message: `the CA offers ${offered.join(', ') || 'no challenges'} for ${authz.identifier.value}, not ${type}; change challenge_type`,
          retryable: false,
        });
      }
      if (type === 'http-01') prepared.push(await presentHttp01(authz, challenge, options));
      else {
        usedDns = true;
        prepared.push(await presentDns(authz, challenge, type, options));
      }
    }
    if (prepared.length === 0) return;
    if (usedDns && config.dns_propagation_wait > 0) {
      ctx.logger.info({ seconds: config.dns_propagation_wait }, 'waiting for DNS propagation');
      await ctx.clock.sleep(config.dns_propagation_wait * 1000, options.signal);
    }
    for (const { challenge } of prepared) await client.completeChallenge(challenge as never);
    for (const { authz, challenge } of prepared) {
      try {
        await client.waitForValidStatus(authz);
      } catch (error) {
        throw await validationFailure(client, authz, challenge, error);
      }
    }
  } finally {
    for (const { undo, authz } of prepared) {
      await undo().catch((error: unknown) =>
        ctx.logger.warn(
          { domain: authz.identifier.value, error: (error as Error).message },
          'challenge cleanup failed',
        ),
      );
    }
  }
}

async function presentHttp01(authz: Authorization, challenge: AcmeChallenge, options: SolveOptions): Promise<Prepared> {
  const token = challenge.token ?? '';
  const keyAuthorization = await options.client.getChallengeKeyAuthorization(challenge as never);
  await options.http01.publish(token, keyAuthorization);
  return { authz, challenge, undo: () => options.http01.withdraw(token) };
}

async function presentDns(
  authz: Authorization,
  challenge: AcmeChallenge,
  type: 'dns-01' | 'dns-persist-01',
  options: SolveOptions,
): Promise<Prepared> {
  const { config, ctx } = options;
  const domain = authz.identifier.value.replace(/^\*\./, '');
  const token = challenge.token ?? '';
  let record: DnsRecord;
  if (type === 'dns-01') {
    record = {
      domain,
      fqdn: `_acme-challenge.${domain}`,
      value: await options.client.getChallengeKeyAuthorization(challenge as never),
      token,
    };
  } else {
    const issuerDomain = config.dns_persist_issuer_domain!;
    const names = challenge['issuer-domain-names'];
    if (Array.isArray(names) && !names.includes(issuerDomain)) {
      throw new VendorApiError({
        connector: CONNECTOR,
        message: `the CA names issuer domain(s) ${names.join(', ')} for dns-persist-01, not ${issuerDomain}; fix dns_persist_issuer_domain`,
        retryable: false,
      });
    }
    record = {
      domain,
      fqdn: `_validation-persist.${domain}`,
      value: persistRecordValue(issuerDomain, options.accountUrl, authz.wildcard === true),
      token,
    };
  }
  const timeoutMs = config.dns_script_timeout_seconds * 1000;
  await runDnsHook(ctx.exec, config.dns_present_script!, 'present', record, { timeoutMs, signal: options.signal });
  // The persistent record stays: it authorizes later issuance without new DNS changes.
  const cleanup = type === 'dns-01' ? config.dns_cleanup_script : undefined;
  return {
    authz,
    challenge,
    undo: async () => {
      if (cleanup) await runDnsHook(ctx.exec, cleanup, 'cleanup', record, { timeoutMs });
    },
  };
}

async function validationFailure(
  client: Client,
  authz: Authorization,
  challenge: AcmeChallenge,
  error: unknown,
): Promise<Error> {
  let detail = error instanceof Error ? error.message : String(error);
  try {
    const [fresh] = await client.getAuthorizations({ authorizations: [authz.url] } as never);
    const failed = (fresh?.challenges as unknown as AcmeChallenge[] | undefined)?.find((c) => c.url === challenge.url);
    if (isAcmeProblem(failed?.error)) detail = describeProblem(failed.error);
  } catch {
    // Keep the first error: it is what the operator needs.
  }
  return new VendorApiError({
    connector: CONNECTOR,
    message: `${challenge.type} validation of ${authz.identifier.value} failed: ${detail}`,
    retryable: false,
    cause: error,
  });
}
