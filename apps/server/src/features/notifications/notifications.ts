import type { OutboxRow } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { channelType } from './alert-routing.js';
import { listOutbox, type OutboxFilters, type OutboxMessage } from './notification-outbox.js';
import type { PageRequest, PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

/** An outbox row as the API shows it: the message's subject and text, not its full HTML body. */
export interface NotificationView extends Omit<OutboxRow, 'payload' | 'leaseOwner' | 'leaseExpiresAt'> {
  subject: string;
  text: string;
  recipients?: string[];
}

export function notificationView(row: OutboxRow): NotificationView {
  const { payload, leaseOwner: _l, leaseExpiresAt: _e, ...rest } = row;
  const message = payload as unknown as OutboxMessage;
  return {
    ...rest,
    subject: message.subject,
    text: message.text,
    ...(message.recipients && { recipients: message.recipients }),
  };
}

export async function listNotifications(
  deps: ServiceDeps,
  filters: OutboxFilters,
  page: PageRequest,
): Promise<PageResult<NotificationView>> {
  const result = await listOutbox(deps.db, filters, page);
  return { ...result, data: result.data.map(notificationView) };
}

export async function getNotification(deps: ServiceDeps, id: string): Promise<NotificationView> {
  const row = await deps.db.selectFrom('notificationOutbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('notification', id);
  return notificationView(row);
}

/** A dead letter goes back to pending with a fresh attempt budget (after the operator fixed the notifier). */
export function requeueNotification(deps: ServiceDeps, actor: Actor, id: string): Promise<NotificationView> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .selectFrom('notificationOutbox')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('notification', id);
    if (row.status !== 'dead') throw conflict(`notification ${id} is ${row.status}; only dead letters can be requeued`);
    const updated = await trx
      .updateTable('notificationOutbox')
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: deps.now(),
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'notification_requeued',
      { type: 'notification', id },
      { channel: row.channel, event: row.event, last_error: row.lastError },
    );
    return notificationView(updated);
  });
}

/** Requeues every dead letter (of one channel, when given). */
export function requeueDeadLetters(
  deps: ServiceDeps,
  actor: Actor,
  filters: { channel?: string },
): Promise<{ requeued: number }> {
  return inTransaction(deps, async (trx) => {
    const rows = await trx
      .updateTable('notificationOutbox')
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: deps.now(),
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: deps.now(),
      })
      .where('status', '=', 'dead')
      .$if(filters.channel !== undefined, (qb) => qb.where('channel', '=', channelType(filters.channel!)))
      .returning(['id'])
      .execute();
    await recordAudit(
      trx,
      actor,
      'notification_dead_letters_requeued',
      { type: 'notification' },
      { count: rows.length, channel: filters.channel },
    );
    return { requeued: rows.length };
  });
}
