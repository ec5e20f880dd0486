import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import {
  Dialog,
  Empty,
  ErrorState,
  ExpiresIn,
  Field,
  Loading,
  Notice,
  PageHeader,
  StatusBadge,
  Time,
} from '../components/ui';
import { errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';
import { REVOCATION_REASONS } from '../lib/revocation';

/** Saves text as a file through a blob URL (no inline script, nothing sent elsewhere). */
function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CertificateDetailPage({ id }: { id: string }) {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const writer = canWrite(roles);
  const [revoking, setRevoking] = useState(false);
  const [reason, setReason] = useState('unspecified');
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const path = { params: { path: { id } } };
  const cert = useQuery({
    queryKey: ['certificates', 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/certificates/{id}', path)),
    // While an issuance or renewal runs, the status changes by itself: look again.
    refetchInterval: (q) =>
      q.state.data && ['pending', 'renewal_in_progress'].includes(q.state.data.status) ? 1500 : false,
  });
  const versions = useQuery({
    queryKey: ['certificates', 'versions', id],
    queryFn: () => unwrap(api.GET('/api/v1/certificates/{id}/versions', path)),
  });
  const deployments = useQuery({
    queryKey: ['certificates', 'deployments', id],
    queryFn: () => unwrap(api.GET('/api/v1/certificates/{id}/deployments', path)),
  });
  const jobs = useQuery({
    queryKey: ['jobs', 'for', id, cert.data?.status],
    queryFn: () => unwrap(api.GET('/api/v1/jobs', { params: { query: { certificate_id: id, per_page: 20 } } })),
  });
  const history = useQuery({
    queryKey: ['audit', 'for', id, cert.data?.status],
    queryFn: () => unwrap(api.GET('/api/v1/audit', { params: { query: { resource_id: id, per_page: 20 } } })),
  });
  const refresh = () => {
    queryClient.invalidateQueries({ queryKey: ['certificates'] });
    queryClient.invalidateQueries({ queryKey: ['jobs'] });
    queryClient.invalidateQueries({ queryKey: ['stats'] });
  };
  const renew = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/certificates/{id}/renew', path)),
    onSuccess: (job) => {
      setMessage({
        tone: 'ok',
        text:
          job.status === 'awaiting_approval'
            ? `Renewal job ${job.id} waits for approval by a second person (Jobs & approvals).`
            : `Renewal job ${job.id} queued.`,
      });
      refresh();
    },
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });
  const revoke = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/certificates/{id}/revoke', { ...path, body: { reason } })),
    onSuccess: () => {
      setRevoking(false);
      setMessage({ tone: 'ok', text: 'Certificate revoked.' });
      refresh();
    },
    onError: (e) => {
      setRevoking(false);
      setMessage({ tone: 'bad', text: errorMessage(e) });
    },
  });
  const exportPem = useMutation({
    mutationFn: async () => {
      const { data, error, response } = await api.GET('/api/v1/certificates/{id}/export/pem', {
        ...path,
        parseAs: 'text',
      });
      if (error !== undefined || !response.ok) throw new Error(`export failed: ${response.status}`);
      return data as unknown as string;
    },
    onSuccess: (pem) => download(`${cert.data?.name ?? id}.pem`, pem, 'application/x-pem-file'),
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });

  if (cert.isPending) return <Loading what="the certificate" />;
  if (cert.isError)
    return (
      <>
        <ErrorState error={cert.error} retry={() => cert.refetch()} />
        <p>
          <Link href="/certificates">Back to the certificates</Link>
        </p>
      </>
    );
  const c = cert.data;
  const live = c.status !== 'revoked' && c.status !== 'archived';
  return (
    <>
      <p className="crumbs">
        <Link href="/certificates">Certificates</Link> / {c.name}
      </p>
      <PageHeader
        title={c.name}
        description={c.common_name}
        actions={
          <>
            <button
              type="button"
              className="btn"
              onClick={() => exportPem.mutate()}
              disabled={!c.current_version_id || exportPem.isPending}
            >
              Export PEM
            </button>
            {writer && live && (
              <>
                <button type="button" className="btn" onClick={() => renew.mutate()} disabled={renew.isPending}>
                  Renew now
                </button>
                <button type="button" className="btn btn-danger" onClick={() => setRevoking(true)}>
                  Revoke…
                </button>
              </>
            )}
          </>
        }
      />
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      <section className="card">
        <dl className="facts">
          <dt>Status</dt>
          <dd data-testid="certificate-status">
            <StatusBadge status={c.status} />
          </dd>
          <dt>Expires</dt>
          <dd>
            <Time value={c.expires_at} /> <ExpiresIn value={c.expires_at} />
          </dd>
          <dt>Subject alternative names</dt>
          <dd>{c.sans.length ? c.sans.join(', ') : <span className="muted">none</span>}</dd>
          <dt>Issuer</dt>
          <dd>{c.issuer_id}</dd>
          <dt>Environment</dt>
          <dd>{c.environment || <span className="muted">—</span>}</dd>
          <dt>Owner / team</dt>
          <dd>
            {c.owner_id} / {c.team_id}
          </dd>
          <dt>Last renewal</dt>
          <dd>
            <Time value={c.last_renewal_at} />
          </dd>
          {c.revoked_at && (
            <>
              <dt>Revoked</dt>
              <dd>
                <Time value={c.revoked_at} /> ({c.revocation_reason ?? 'unspecified'})
              </dd>
            </>
          )}
          <dt>Id</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions.isError ? (
          <ErrorState error={versions.error} retry={() => versions.refetch()} />
        ) : !versions.data ? (
          <Loading what="versions" />
        ) : versions.data.data.length === 0 ? (
          <Empty title="Not issued yet.">
            {c.status === 'pending'
              ? 'The issuance job is running; this page refreshes by itself.'
              : 'Use “Renew now” to issue it.'}
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Serial</th>
                  <th scope="col">Valid from</th>
                  <th scope="col">Valid until</th>
                  <th scope="col">Key</th>
                  <th scope="col">SHA-256 fingerprint</th>
                </tr>
              </thead>
              <tbody>
                {versions.data.data.map((v) => (
                  <tr key={v.id}>
                    <td>
                      {v.version}
                      {v.id === c.current_version_id && <span className="badge badge-ok">current</span>}
                    </td>
                    <td>
                      <code>{v.serial}</code>
                    </td>
                    <td>
                      <Time value={v.not_before} />
                    </td>
                    <td>
                      <Time value={v.not_after} />
                    </td>
                    <td>
                      {v.key_algorithm}
                      {v.key_size && !/\d/.test(v.key_algorithm) ? ` ${v.key_size}` : ''}
                    </td>
                    <td>
                      <code className="wrap">{v.fingerprint_sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="deployments-title">
          <h2 id="deployments-title">Deployments</h2>
          {deployments.isError ? (
            <ErrorState error={deployments.error} retry={() => deployments.refetch()} />
          ) : !deployments.data ? (
            <Loading what="deployments" />
          ) : deployments.data.data.length === 0 ? (
            <Empty title="Not deployed anywhere.">
              Attach a target (Targets page) and an agent deploys it after each issuance.
            </Empty>
          ) : (
            <ul className="list">
              {deployments.data.data.map((d) => (
                <li key={d.job_id}>
                  <StatusBadge status={d.status} /> {d.target_name ?? d.target_id ?? 'agent'}{' '}
                  <span className="muted">{d.target_type}</span>{' '}
                  {d.last_error && <span className="error-text">{d.last_error}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="jobs-title">
          <h2 id="jobs-title">Jobs</h2>
          {jobs.isError ? (
            <ErrorState error={jobs.error} retry={() => jobs.refetch()} />
          ) : !jobs.data ? (
            <Loading what="jobs" />
          ) : jobs.data.data.length === 0 ? (
            <p className="muted">No jobs yet.</p>
          ) : (
            <ul className="list">
              {jobs.data.data.map((j) => (
                <li key={j.id}>
                  <StatusBadge status={j.status} /> {j.type} ({j.trigger}, by {j.requested_by}){' '}
                  <Time value={j.created_at} />
                  {j.last_error && <span className="error-text"> {j.last_error}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Timeline</h2>
        {history.isError ? (
          <ErrorState error={history.error} retry={() => history.refetch()} />
        ) : !history.data ? (
          <Loading what="the timeline" />
        ) : history.data.data.length === 0 ? (
          <p className="muted">No recorded events.</p>
        ) : (
          <ol className="events">
            {history.data.data.map((e) => (
              <li key={e.id}>
                <Time value={e.created_at} /> <strong>{e.action}</strong> by {e.actor}
              </li>
            ))}
          </ol>
        )}
      </section>
      <Dialog title={`Revoke ${c.name}`} open={revoking} onClose={() => setRevoking(false)}>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            revoke.mutate();
          }}
        >
          <p>Revocation cannot be undone: the issuer publishes it in its CRL and OCSP answers.</p>
          <Field label="Reason" htmlFor="revoke-reason">
            <select id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
              {REVOCATION_REASONS.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
          <div className="actions">
            <button type="submit" className="btn btn-danger" disabled={revoke.isPending}>
              Revoke certificate
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
