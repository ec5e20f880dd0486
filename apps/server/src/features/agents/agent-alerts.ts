import type { Executor } from '../../db/open-database.js';
import { EVENT_SEVERITY } from '../notifications/alert-routing.js';
import { enqueueNotifications } from '../notifications/notification-outbox.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

/**
 * An agent went silent: one alert per silence (keyed by its last heartbeat) to the channels in
 * CERTCTL_AGENT_OFFLINE_ALERT_CHANNELS, addressed to the digest recipients (agents have no owner).
 */
export async function notifyAgentOffline(
  trx: Executor,
  deps: ServiceDeps,
  agent: { id: string; name: string; hostname: string; lastHeartbeatAt: Date | null },
): Promise<void> {
  const since = agent.lastHeartbeatAt?.toISOString() ?? 'never';
  const recipients = deps.settings.notifications.digest.recipients;
  await enqueueNotifications(trx, deps, {
    dedupBase: `agent_offline:${agent.id}:${since}`,
    channels: deps.settings.notifications.agentOfflineChannels,
    message: {
      event: 'agent_offline',
      severity: EVENT_SEVERITY.agent_offline ?? 'warning',
      subject: `[certctl] agent ${agent.name} is offline`,
      text: `Agent ${agent.name} (${agent.hostname || 'unknown host'}) has not sent a heartbeat since ${since}. Deployments it serves wait until it is back.`,
      incidentKey: `certctl-agent-offline-${agent.id}`,
      ...(recipients.length > 0 && { recipients }),
      occurredAt: deps.now().toISOString(),
    },
  });
}
