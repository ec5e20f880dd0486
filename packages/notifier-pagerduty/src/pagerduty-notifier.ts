import { createHttpClient, notificationLink } from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, type NotifierInstance, VendorApiError } from '@certctl/core';
import type { PagerDutyConfig } from './pagerduty-config.js';
import { resolveEvent, triggerEvent } from './pagerduty-event.js';

const CONNECTOR = 'notifier-pagerduty';

interface EnqueueResponse {
  status?: string;
  message?: string;
  dedup_key?: string;
  errors?: string[];
}

export function createPagerDutyNotifier(config: PagerDutyConfig, ctx: ConnectorContext): NotifierInstance {
  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    timeoutMs: config.request_timeout_seconds * 1000,
    userAgent: 'certctl-notifier-pagerduty',
    errors: { hint: (status) => (status === 429 ? 'PagerDuty throttled the events for this service' : undefined) },
  });
  async function enqueue(event: Record<string, unknown>, signal: AbortSignal | undefined): Promise<EnqueueResponse> {
    try {
      const response = await http.request({
        method: 'POST',
        url: config.events_url,
        label: `POST ${new URL(config.events_url).origin}/v2/enqueue (${String(event.event_action)})`,
        body: event,
        signal,
      });
      try {
        return JSON.parse(response.text()) as EnqueueResponse;
      } catch {
        return {};
      }
    } catch (error) {
      // The Events API has no Authorization header: a bad routing key comes back as a 400 "invalid event".
      if (VendorApiError.isInstance(error) && error.status === 400 && /routing[_ ]key/i.test(error.body ?? '')) {
        throw new AuthenticationError({
          connector: CONNECTOR,
          message: `PagerDuty refused the routing key: ${error.message}; copy the Integration Key of the service's Events API v2 integration into routing_key`,
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    async send(notification) {
      const link = notificationLink(notification, ctx.environment.publicBaseUrl);
      const answer = await enqueue(
        triggerEvent(notification, config, link, ctx.environment.publicBaseUrl),
        notification.signal,
      );
      ctx.logger.debug({ dedupKey: answer.dedup_key, event: notification.event }, 'PagerDuty event triggered');
      return {
        providerId: answer.dedup_key,
        detail: `PagerDuty alert triggered (dedup key ${answer.dedup_key ?? 'unknown'})`,
      };
    },

    async resolve(dedupKey, options) {
      const answer = await enqueue(resolveEvent(dedupKey, config), options?.signal);
      ctx.logger.debug({ dedupKey: answer.dedup_key }, 'PagerDuty alert resolved');
    },
  };
}
