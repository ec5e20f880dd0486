import { randomUUID } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { createHttpClient, createSsrfPolicy, notificationLink } from '@certctl/connector-utils';
import type { ConnectorContext, NotifierInstance } from '@certctl/core';
import type { WebhookConfig } from './webhook-config.js';
import { notifyPayload, resolvePayload } from './webhook-payload.js';
import { SIGNATURE_HEADER, signWebhookPayload } from './webhook-signature.js';

const CONNECTOR = 'notifier-webhook';

/**
 * Webhook destinations are chosen by the operator and are often internal, so this notifier carries
 * its own SSRF policy (strict unless the instance's config allows loopback, private ranges or listed
 * hosts) instead of the app's network policy (`ctx.network`).
 */
export function createWebhookNotifier(
  config: WebhookConfig,
  ctx: ConnectorContext,
  version: string,
): NotifierInstance & { stop(): Promise<void> } {
  const ssrfPolicy = createSsrfPolicy({
    connector: CONNECTOR,
    allowLoopback: config.allow_loopback,
    allowPrivate: config.allow_private,
    allow: config.ssrf_allow,
  });
  const client = createHttpClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    context: ctx,
    ssrfPolicy,
    ...(config.ca_pem && { ca: [...rootCertificates, config.ca_pem] }),
    userAgent: `certctl-notifier-webhook/${version}`,
    errors: {
      hint: (status) =>
        status === 401 || status === 403 ? 'check the secret and the headers the receiver expects' : undefined,
    },
  });
  const target = new URL(config.url);

  async function deliver(
    payload: Record<string, unknown>,
    event: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const body = JSON.stringify(payload);
    const delivery = randomUUID();
    const headers: Record<string, string> = {
      ...config.headers,
      'content-type': 'application/json',
      'x-certctl-event': event,
      'x-certctl-delivery': delivery,
    };
    if (config.secret) {
      headers[SIGNATURE_HEADER.toLowerCase()] = signWebhookPayload(
        config.secret,
        body,
        Math.floor(ctx.clock.now().getTime() / 1000),
      );
    }
    await client.request({ method: 'POST', url: target, headers, body, signal, idempotent: false });
    return delivery;
  }

  return {
    async send(notification) {
      const delivery = await deliver(
        notifyPayload(notification, notificationLink(notification, ctx.environment.publicBaseUrl)),
        notification.event,
        notification.signal,
      );
      return { providerId: delivery, detail: `delivered to ${target.origin} (delivery ${delivery})` };
    },
    async resolve(dedupKey, options) {
      await deliver(resolvePayload(dedupKey, ctx.clock.now()), 'resolved', options?.signal);
    },
    async stop() {
      await client.close();
    },
  };
}
