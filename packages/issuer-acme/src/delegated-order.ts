/**
 * Orders whose HTTP-01 challenges the agent on the target host serves (`http_served_by: agent`):
 * `issue` creates the order and returns it pending with the tokens and key authorizations to serve;
 * the app has them served, then `getOrder(orderId, { challengesPresented: true })` asks the CA to
 * validate, finalizes with the CSR kept (encrypted) in the instance's secret store, and downloads
 * the certificate. Every step reads the order afresh from the CA, so a restart loses nothing.
 */
import { createHash } from 'node:crypto';
import type { Authorization, Client } from 'acme-client';
import {
  type ConnectorSecretStore,
  type DelegatedChallenge,
  type FailedOrder,
  type PendingOrder,
  VendorApiError,
} from '@certctl/core';
import { describeProblem, isAcmeProblem } from './acme-errors.js';
import { CONNECTOR } from './connector-name.js';

interface AcmeChallenge {
  type: string;
  url: string;
  status: string;
  token?: string;
  error?: unknown;
}

interface AcmeOrder {
  url: string;
  status: string;
  authorizations: string[];
  finalize: string;
  certificate?: string;
}

const secretName = (orderUrl: string) =>
  `acme_order_${createHash('sha256').update(orderUrl).digest('hex').slice(0, 32)}`;

export async function rememberOrderCsr(secrets: ConnectorSecretStore, orderUrl: string, csrPem: string): Promise<void> {
  await secrets.set(secretName(orderUrl), csrPem);
}

export async function orderCsr(secrets: ConnectorSecretStore, orderUrl: string): Promise<string> {
  const csr = await secrets.get(secretName(orderUrl));
  if (!csr)
    throw new VendorApiError({
      connector: CONNECTOR,
      message: `no CSR is kept for order ${orderUrl} (it was issued by another issuer instance, or already completed); issue again`,
      retryable: false,
    });
  return csr;
}

export async function forgetOrder(secrets: ConnectorSecretStore, orderUrl: string): Promise<void> {
  await secrets.delete(secretName(orderUrl));
}

function http01Of(authz: Authorization): AcmeChallenge | undefined {
  return (authz.challenges as unknown as AcmeChallenge[]).find((c) => c.type === 'http-01');
}

/** The HTTP-01 challenges of the order's pending authorizations, with their key authorizations. */
export async function delegatedChallenges(client: Client, authzs: Authorization[]): Promise<DelegatedChallenge[]> {
  const challenges: DelegatedChallenge[] = [];
  for (const authz of authzs) {
    if (authz.status === 'valid') continue;
    const challenge = http01Of(authz);
    if (!challenge?.token) {
      throw new VendorApiError({
        connector: CONNECTOR,
        message: `the CA offers no http-01 challenge for ${authz.identifier.value}; http_served_by agent needs one`,
        retryable: false,
      });
    }
    if (authz.identifier.type !== 'dns')
      throw new VendorApiError({
        connector: CONNECTOR,
        message: `${authz.identifier.value} is not a DNS name; the agent serves HTTP-01 for DNS names only`,
        retryable: false,
      });
    challenges.push({
      type: 'http-01',
      identifier: authz.identifier.value,
      token: challenge.token,
      keyAuthorization: await client.getChallengeKeyAuthorization(challenge as never),
    });
  }
  return challenges;
}

export function pendingForAgent(orderUrl: string, challenges: DelegatedChallenge[]): PendingOrder {
  return {
    status: 'pending',
    orderId: orderUrl,
    challenges,
    detail: `waiting for the agent to serve HTTP-01 for ${challenges.map((c) => c.identifier).join(', ')}`,
  };
}

/** Why an invalid order failed, in the CA's words where it gave them. */
export async function orderFailure(client: Client, order: AcmeOrder): Promise<FailedOrder> {
  const reasons: string[] = [];
  try {
    for (const authz of await client.getAuthorizations(order as never)) {
      const failed = (authz.challenges as unknown as AcmeChallenge[]).find((c) => c.status === 'invalid');
      if (failed && isAcmeProblem(failed.error))
        reasons.push(`${failed.type} validation of ${authz.identifier.value} failed: ${describeProblem(failed.error)}`);
    }
  } catch {
    // The order's own state is reason enough.
  }
  return {
    status: 'failed',
    orderId: order.url,
    reason: reasons.join('; ') || `the CA marked order ${order.url} invalid`,
  };
}

/** Asks the CA to validate each pending HTTP-01 challenge (they are being served now) and waits for the result. */
export async function validatePresented(client: Client, authzs: Authorization[]): Promise<void> {
  const pending = authzs.filter((authz) => authz.status === 'pending');
  for (const authz of pending) {
    const challenge = http01Of(authz);
    if (challenge?.status === 'pending') await client.completeChallenge(challenge as never);
  }
  for (const authz of pending) await client.waitForValidStatus(authz);
}

export type { AcmeOrder };
