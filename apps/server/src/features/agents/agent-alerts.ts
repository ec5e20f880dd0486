import type { Executor } from '../../db/open-database.js';
import { channelType, EVENT_SEVERITY } from '../notifications/alert-routing.js';
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
      incidentKey: agentOfflineIncidentKey(agent.id),
      ...(recipients.length > 0 && { recipients }),
      occurredAt: deps.now().toISOString(),
    },
  });
}

const agentOfflineIncidentKey = (agentId: string) => `certctl-agent-offline-${agentId}`;

/**
 * The agent is back (a heartbeat after it was marked offline): the incident its silence opened is
 * resolved on the channels whose notifiers can resolve (PagerDuty, OpsGenie); the others only paged.
 */
export async function resolveAgentOffline(
  db: Executor,
  deps: ServiceDeps,
  agent: { id: string; name: string; lastHeartbeatAt: Date | null },
): Promise<void> {
  const resolvable = new Set(
    deps.registry
      .list('notifier')
      .filter((e) => (e.capabilities as { resolve?: boolean } | undefined)?.resolve)
      .map((e) => e.id),
  );
  const channels = deps.settings.notifications.agentOfflineChannels.filter((c) => resolvable.has(channelType(c)));
  await enqueueNotifications(db, deps, {
    dedupBase: `agent_online:${agent.id}:${agent.lastHeartbeatAt?.toISOString() ?? 'never'}`,
    action: 'resolve',
    channels,
    message: {
      event: 'agent_offline',
      severity: 'informational',
      subject: `[certctl] agent ${agent.name} is back`,
      text: `Agent ${agent.name} sent a heartbeat again.`,
      incidentKey: agentOfflineIncidentKey(agent.id),
      occurredAt: deps.now().toISOString(),
    },
  });
}
