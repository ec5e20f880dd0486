import { z } from 'zod';
import { connectorInstanceRoutes } from '../../http/connector-instance-routes.js';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { idParams, listOf, nullableTimestamp, pageOf, pageQuery, timestamp } from '../../http/schemas/common.js';
import { connectorInstanceSchema } from '../../http/schemas/connector-instance.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { digestPreview, sendDigestNow } from './digest.js';
import { getNotification, listNotifications, requeueDeadLetters, requeueNotification } from './notifications.js';
import { probeNotifier } from './notifiers.js';

const notifierSchema = connectorInstanceSchema({ id: 'Notifier' });

const outboxStatus = z.enum(['pending', 'sent', 'failed', 'dead']);

const notificationSchema = z
  .object({
    id: z.string(),
    dedup_key: z
      .string()
      .describe('one delivery per key, ever: <event>:<version or occurrence>[:<threshold>]|<notifier>'),
    action: z.enum(['send', 'resolve']),
    event: z.string(),
    severity: z.enum(['informational', 'warning', 'critical']),
    channel: z.string().describe('notifier connector type'),
    notifier_id: z.string(),
    certificate_id: z.string().nullable(),
    version_id: z.string().nullable(),
    threshold_days: z.number().int().nullable(),
    status: outboxStatus,
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    next_attempt_at: timestamp,
    last_error: z.string().nullable(),
    provider_id: z.string().nullable(),
    sent_at: nullableTimestamp,
    read_at: nullableTimestamp.describe('when someone first marked it read (POST /notifications/{id}/read)'),
    read_by: z.string().nullable(),
    subject: z.string(),
    text: z.string(),
    recipients: z.array(z.string()).optional(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Notification' });

const digestResult = z.object({
  queued: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  dead: z.number().int(),
  recipients: z.array(z.string()),
});

export function notificationRoutes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    ...connectorInstanceRoutes(deps, {
      kind: 'notifier',
      schema: notifierSchema,
      operationNoun: 'Notifier',
      plural: 'notifiers',
      bodyTypeDescription: 'notifier connector id: email, webhook, slack, teams, pagerduty, opsgenie, ...',
      summaries: {
        list: 'List notifier instances (secrets redacted)',
        create:
          "Create a notifier instance; config is validated by the connector's schema and its secrets encrypted at rest",
        get: 'Get a notifier instance (secrets redacted)',
        update:
          'Update a notifier instance: only the fields sent change; a config sent replaces the stored one ("[redacted]" keeps a secret)',
        delete: 'Delete a notifier instance (its queued notifications are dead-lettered when their turn comes)',
        test: 'Test the connection to the notification service',
      },
      descriptions: { many: 'Notifiers', one: 'Notifier' },
      probe: probeNotifier,
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/notifications',
      operationId: 'listNotifications',
      summary: 'The notification outbox, newest first (status=dead lists the dead letters)',
      tags: ['notifications'],
      access: 'viewer',
      query: pageQuery.extend({
        status: outboxStatus.optional(),
        channel: z.string().max(64).optional(),
        event: z.string().max(64).optional(),
        certificate_id: z.string().max(128).optional(),
        notifier_id: z.string().max(128).optional(),
      }),
      responses: { 200: { description: 'Notifications', schema: listOf(notificationSchema) } },
      handler: ({ query }) =>
        listNotifications(
          deps,
          {
            status: query.status,
            channel: query.channel,
            event: query.event,
            certificateId: query.certificate_id,
            notifierId: query.notifier_id,
          },
          pageOf(query),
        ),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/notifications/{id}',
      operationId: 'getNotification',
      summary: 'One outbox row',
      tags: ['notifications'],
      access: 'viewer',
      params: idParams,
      responses: { 200: { description: 'Notification', schema: notificationSchema } },
      handler: ({ params }) => getNotification(deps, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/notifications/{id}/requeue',
      operationId: 'requeueNotification',
      summary: 'Put a dead letter back in the queue with a fresh attempt budget (409 unless dead)',
      tags: ['notifications'],
      access: 'operator',
      params: idParams,
      responses: { 200: { description: 'Requeued', schema: notificationSchema } },
      handler: ({ actor, params }) => requeueNotification(deps, actor, params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/notifications/requeue-dead',
      operationId: 'requeueDeadNotifications',
      summary: 'Requeue every dead letter, or those of one channel',
      tags: ['notifications'],
      access: 'operator',
      body: z
        .object({ channel: z.string().max(64).optional() })
        .strict()
        .default({}),
      responses: { 200: { description: 'Requeued', schema: z.object({ requeued: z.number().int() }) } },
      handler: ({ actor, body }) => requeueDeadLetters(deps, actor, { channel: body.channel }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/digest/preview',
      operationId: 'previewDigest',
      summary: 'The digest as it would be sent now: a self-contained HTML page (nothing is sent)',
      tags: ['digest'],
      access: 'viewer',
      responses: { 200: { description: 'HTML', contentType: 'text/html' } },
      handler: async ({ reply }) => {
        const html = await digestPreview(deps);
        reply.type('text/html; charset=utf-8');
        return html;
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/digest/send',
      operationId: 'sendDigest',
      summary: 'Send the digest now through the digest channels',
      tags: ['digest'],
      access: 'operator',
      responses: { 200: { description: 'Outcome', schema: digestResult } },
      handler: () => sendDigestNow(deps),
    }),
  ];
}
