import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Empty, ErrorState, Field, Loading, PageHeader, Pager, Time } from '../components/ui';
import { unwrap } from '../lib/api';
import { useSession } from '../lib/auth';
import { toCsv } from '../lib/csv';
import { localInputToIso } from '../lib/time';

interface Filters {
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { actor: '', action: '', resource_type: '', resource_id: '', since: '', until: '' };

export function AuditPage() {
  const { api } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const since = localInputToIso(filters.since);
  const until = localInputToIso(filters.until);
  const query = {
    page,
    per_page: 50,
    ...(filters.actor.trim() && { actor: filters.actor.trim() }),
    ...(filters.action.trim() && { action: filters.action.trim() }),
    ...(filters.resource_type.trim() && { resource_type: filters.resource_type.trim() }),
    ...(filters.resource_id.trim() && { resource_id: filters.resource_id.trim() }),
    ...(since && { since }),
    ...(until && { until }),
  };
  const events = useQuery({
    queryKey: ['audit', 'list', query],
    queryFn: () => unwrap(api.GET('/api/v1/audit', { params: { query } })),
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    setPage(1);
  };
  const exportCsv = () => {
    const rows = (events.data?.data ?? []).map((e) => [
      e.created_at,
      e.actor,
      e.actor_type,
      e.action,
      e.resource_type,
      e.resource_id,
      e.request_id,
      e.details,
    ]);
    const csv = toCsv(
      ['created_at', 'actor', 'actor_type', 'action', 'resource_type', 'resource_id', 'request_id', 'details'],
      rows,
    );
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `certctl-audit-page-${page}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const input = (key: keyof Filters, label: string, type = 'text') => (
    <Field label={label} htmlFor={`audit-${key}`}>
      <input
        id={`audit-${key}`}
        type={type}
        value={draft[key]}
        onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))}
      />
    </Field>
  );
  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every change, who made it and when, newest first. The trail is append-only and hash-chained on the server."
        actions={
          <button type="button" className="btn" onClick={exportCsv} disabled={!events.data?.data.length}>
            Export this page as CSV
          </button>
        }
      />
      <form className="filters" aria-label="Filter the audit trail" onSubmit={apply}>
        {input('actor', 'Actor')}
        {input('action', 'Action')}
        {input('resource_type', 'Resource type')}
        {input('resource_id', 'Resource id')}
        {input('since', 'Since (your time)', 'datetime-local')}
        {input('until', 'Until (your time)', 'datetime-local')}
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {events.isPending ? (
        <Loading what="the audit trail" />
      ) : events.isError ? (
        <ErrorState error={events.error} retry={() => events.refetch()} />
      ) : events.data.data.length === 0 ? (
        <Empty title="No event matches.">Widen the time range or clear a filter.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {events.data.data.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Time value={e.created_at} />
                    </td>
                    <td>
                      {e.actor} <span className="muted small">{e.actor_type}</span>
                    </td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      {e.resource_type} <code className="wrap">{e.resource_id}</code>
                    </td>
                    <td>
                      <code className="wrap small">{JSON.stringify(e.details)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} perPage={50} total={events.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
