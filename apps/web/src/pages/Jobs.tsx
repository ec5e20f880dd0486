import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { Empty, ErrorState, Field, Loading, Notice, PageHeader, Pager, StatusBadge, Time } from '../components/ui';
import { type Job, errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';

const JOB_STATUSES: Job['status'][] = [
  'pending',
  'awaiting_csr',
  'awaiting_approval',
  'running',
  'waiting_on_ca',
  'succeeded',
  'failed',
  'cancelled',
  'dead',
];

function Approvals() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const pending = useQuery({
    queryKey: ['approvals', 'pending'],
    queryFn: () => unwrap(api.GET('/api/v1/approvals', { params: { query: { state: 'pending', per_page: 100 } } })),
  });
  const decide = useMutation({
    mutationFn: ({ id, verdict }: { id: string; verdict: 'approve' | 'reject' }) => {
      const init = { params: { path: { id } }, body: { note: notes[id] ?? '' } };
      return unwrap(
        verdict === 'approve'
          ? api.POST('/api/v1/approvals/{id}/approve', init)
          : api.POST('/api/v1/approvals/{id}/reject', init),
      );
    },
    onSuccess: (approval) => {
      setMessage({ tone: 'ok', text: `Request ${approval.id} ${approval.state}.` });
      queryClient.invalidateQueries({ queryKey: ['approvals'] });
      queryClient.invalidateQueries({ queryKey: ['jobs'] });
      queryClient.invalidateQueries({ queryKey: ['stats'] });
    },
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });
  return (
    <section className="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Waiting for approval</h2>
      <p className="muted small">
        Two-person rule: the person who requested an issuance cannot approve it; the server refuses them.
      </p>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {pending.isPending ? (
        <Loading what="approval requests" />
      ) : pending.isError ? (
        <ErrorState error={pending.error} retry={() => pending.refetch()} />
      ) : pending.data.data.length === 0 ? (
        <Empty title="Nothing waits for approval.">Profiles that require approval send their issuances here.</Empty>
      ) : (
        <ul className="list approvals">
          {pending.data.data.map((a) => (
            <li key={a.id} className="approval">
              <div>
                <strong>
                  <Link href={`/certificates/${a.certificate_id}`}>{a.certificate_id}</Link>
                </strong>{' '}
                requested by <strong>{a.requested_by}</strong> <Time value={a.created_at} relative />
                {a.note && <p className="muted">{a.note}</p>}
              </div>
              {canWrite(roles) && (
                <div className="actions">
                  <Field label="Note" htmlFor={`note-${a.id}`}>
                    <input
                      id={`note-${a.id}`}
                      value={notes[a.id] ?? ''}
                      onChange={(e) => setNotes((n) => ({ ...n, [a.id]: e.target.value }))}
                    />
                  </Field>
                  <button
                    type="button"
                    className="btn btn-primary"
                    disabled={decide.isPending}
                    onClick={() => decide.mutate({ id: a.id, verdict: 'approve' })}
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    className="btn btn-danger"
                    disabled={decide.isPending}
                    onClick={() => decide.mutate({ id: a.id, verdict: 'reject' })}
                  >
                    Reject
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function JobsPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [page, setPage] = useState(1);
  const [message, setMessage] = useState<string>();
  const query = {
    page,
    per_page: 50,
    ...(status && { status: status as Job['status'] }),
    ...(type && { type: type as Job['type'] }),
  };
  const jobs = useQuery({
    queryKey: ['jobs', 'list', query],
    queryFn: () => unwrap(api.GET('/api/v1/jobs', { params: { query } })),
  });
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['jobs'] }),
    onError: (e) => setMessage(errorMessage(e)),
  });
  return (
    <>
      <PageHeader
        title="Jobs & approvals"
        description="Issuance, renewal and deployment jobs, and the requests waiting for a second person."
      />
      <Approvals />
      <section className="card" aria-labelledby="jobs-list-title">
        <h2 id="jobs-list-title">Jobs</h2>
        <form className="filters" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
          <Field label="Status" htmlFor="job-status">
            <select id="job-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="">Any</option>
              {JOB_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Type" htmlFor="job-type">
            <select id="job-type" value={type} onChange={(e) => setType(e.target.value)}>
              <option value="">Any</option>
              <option value="issuance">issuance</option>
              <option value="renewal">renewal</option>
              <option value="deployment">deployment</option>
            </select>
          </Field>
        </form>
        {message && <Notice tone="bad">{message}</Notice>}
        {jobs.isPending ? (
          <Loading what="jobs" />
        ) : jobs.isError ? (
          <ErrorState error={jobs.error} retry={() => jobs.refetch()} />
        ) : jobs.data.data.length === 0 ? (
          <Empty title="No jobs match.">Jobs appear when a certificate is issued, renewed or deployed.</Empty>
        ) : (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Certificate</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Requested by</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last error</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.data.data.map((j) => (
                    <tr key={j.id}>
                      <td>{j.type}</td>
                      <td>
                        <Link href={`/certificates/${j.certificate_id}`}>{j.certificate_id}</Link>
                      </td>
                      <td>
                        <StatusBadge status={j.status} />
                      </td>
                      <td>
                        {j.attempts}/{j.max_attempts}
                      </td>
                      <td>{j.requested_by}</td>
                      <td>
                        <Time value={j.created_at} />
                      </td>
                      <td className="error-text">{j.last_error}</td>
                      <td>
                        {canWrite(roles) && !['succeeded', 'failed', 'cancelled', 'dead'].includes(j.status) && (
                          <button type="button" className="btn btn-small" onClick={() => cancel.mutate(j.id)}>
                            Cancel
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} perPage={50} total={jobs.data.total} onPage={setPage} />
          </>
        )}
      </section>
    </>
  );
}
