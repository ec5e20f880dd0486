import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Empty, ErrorState, Field, Loading, Notice, PageHeader, Pager, StatusBadge, Time } from '../components/ui';
import { type Notification, errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';

export function NotificationsPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<'' | Notification['status']>('');
  const [page, setPage] = useState(1);
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const query = { page, per_page: 50, ...(status && { status }) };
  const list = useQuery({
    queryKey: ['notifications', query],
    queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query } })),
  });
  const notifiers = useQuery({
    queryKey: ['notifiers'],
    queryFn: () => unwrap(api.GET('/api/v1/notifiers', { params: { query: { per_page: 200 } } })),
  });
  const done = (text: string) => {
    setMessage({ tone: 'ok', text });
    queryClient.invalidateQueries({ queryKey: ['notifications'] });
  };
  const requeue = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/notifications/{id}/requeue', { params: { path: { id } } })),
    onSuccess: (n) => done(`Notification ${n.id} queued again.`),
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });
  const requeueAll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/notifications/requeue-dead', { body: {} })),
    onSuccess: () => done('Every dead notification was queued again.'),
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });
  const writer = canWrite(roles);
  return (
    <>
      <PageHeader
        title="Notifications"
        description="Alerts sent through the notifiers (email, Slack, Teams, PagerDuty, webhooks…). Dead letters failed every attempt: fix the notifier, then requeue them."
        actions={
          writer && (
            <button type="button" className="btn" onClick={() => requeueAll.mutate()} disabled={requeueAll.isPending}>
              Requeue all dead letters
            </button>
          )
        }
      />
      <section className="card" aria-labelledby="routing-title">
        <h2 id="routing-title">Alert routing: notifiers</h2>
        {notifiers.isError ? (
          <ErrorState error={notifiers.error} retry={() => notifiers.refetch()} />
        ) : !notifiers.data ? (
          <Loading what="notifiers" />
        ) : notifiers.data.data.length === 0 ? (
          <p className="muted">
            No notifier configured: alerts go nowhere. Configure one with its CERTCTL_* variables or POST
            /api/v1/notifiers.
          </p>
        ) : (
          <ul className="list">
            {notifiers.data.data.map((n) => (
              <li key={n.id}>
                <strong>{n.name}</strong> <span className="muted">{n.type}</span>{' '}
                {n.enabled ? '' : <span className="badge badge-muted">disabled</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <form className="filters" aria-label="Filter notifications" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status" htmlFor="notif-status">
          <select
            id="notif-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as typeof status);
              setPage(1);
            }}
          >
            <option value="">Any</option>
            <option value="pending">pending</option>
            <option value="sent">sent</option>
            <option value="failed">failed (retrying)</option>
            <option value="dead">dead letters</option>
          </select>
        </Field>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {list.isPending ? (
        <Loading what="notifications" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.data.data.length === 0 ? (
        <Empty title={status === 'dead' ? 'No dead letters.' : 'No notifications.'}>
          Alerts are sent as certificates approach expiry, fail to renew, or agents go offline.
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">Event</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((n) => (
                  <tr key={n.id}>
                    <td>
                      {n.subject}
                      {n.last_error && <div className="error-text small">{n.last_error}</div>}
                    </td>
                    <td>
                      {n.event} <StatusBadge status={n.severity} />
                    </td>
                    <td>{n.channel}</td>
                    <td>
                      <StatusBadge status={n.status} />
                    </td>
                    <td>
                      {n.attempts}/{n.max_attempts}
                    </td>
                    <td>
                      <Time value={n.created_at} />
                    </td>
                    <td>
                      {writer && (n.status === 'dead' || n.status === 'failed') && (
                        <button type="button" className="btn btn-small" onClick={() => requeue.mutate(n.id)}>
                          Requeue
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} perPage={50} total={list.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
