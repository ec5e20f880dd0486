import { createHttpClient, notificationLink } from '@certctl/connector-utils';
import type { ConnectorContext, NotifierInstance } from '@certctl/core';
import { opsgenieAlias, createAlertRequest } from './opsgenie-alert.js';
import { type OpsgenieConfig, opsgenieBaseUrl } from './opsgenie-config.js';

const CONNECTOR = 'notifier-opsgenie';

interface AcceptedResponse {
  result?: string;
  requestId?: string;
  took?: number;
}

export function createOpsgenieNotifier(config: OpsgenieConfig, ctx: ConnectorContext): NotifierInstance {
  const base = opsgenieBaseUrl(config);
  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    baseUrl: base,
    timeoutMs: config.request_timeout_seconds * 1000,
    userAgent: 'certctl-notifier-opsgenie',
    defaultHeaders: { authorization: `GenieKey ${config.api_key}` },
    errors: {
      hint: (status) =>
        status === 401 || status === 403
          ? `OpsGenie refused api_key: use the key of an API integration (account API keys cannot create alerts), on the ${config.region.toUpperCase()} instance`
          : status === 422
            ? 'OpsGenie could not process the alert (a bug in the notifier: please report it)'
            : status === 429
              ? 'OpsGenie rate-limited the integration'
              : undefined,
    },
  });

  async function call(path: string, body: unknown, signal: AbortSignal | undefined): Promise<AcceptedResponse> {
    const response = await http.request({ method: 'POST', url: path, body, signal });
    try {
      return JSON.parse(response.text()) as AcceptedResponse;
    } catch {
      return {};
    }
  }

  return {
    async send(notification) {
      const request = createAlertRequest(
        notification,
        config,
        notificationLink(notification, ctx.environment.publicBaseUrl),
      );
      const answer = await call('/v2/alerts', request, notification.signal);
      ctx.logger.debug({ requestId: answer.requestId, alias: request.alias }, 'OpsGenie alert requested');
      return {
        providerId: answer.requestId,
        detail: `OpsGenie alert requested (alias ${String(request.alias)}, request ${answer.requestId ?? 'unknown'})`,
      };
    },

    async resolve(dedupKey, options) {
      const alias = encodeURIComponent(opsgenieAlias(dedupKey));
      const answer = await call(
        `/v2/alerts/${alias}/close?identifierType=alias`,
        { source: config.source, note: 'Closed by certctl: the certificate problem was resolved.' },
        options?.signal,
      );
      ctx.logger.debug({ requestId: answer.requestId }, 'OpsGenie alert close requested');
    },
  };
}
