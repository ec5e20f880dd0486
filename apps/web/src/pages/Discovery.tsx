import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
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
import { type DiscoveredCertificate, errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';

type Triage = { kind: 'claim' | 'dismiss'; item: DiscoveredCertificate };

export function DiscoveryPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<'' | DiscoveredCertificate['status']>('unmanaged');
  const [triage, setTriage] = useState<Triage>();
  const [managedId, setManagedId] = useState('');
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const found = useQuery({
    queryKey: ['discovered', status],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/discovered-certificates', {
          params: { query: { per_page: 200, ...(status && { status }) } },
        }),
      ),
  });
  const managed = useQuery({
    queryKey: ['certificates', 'all-names'],
    queryFn: () => unwrap(api.GET('/api/v1/certificates', { params: { query: { per_page: 500 } } })),
    enabled: triage?.kind === 'claim',
  });
  const close = () => {
    setTriage(undefined);
    setManagedId('');
    setReason('');
  };
  const act = useMutation({
    mutationFn: async (t: Triage) => {
      const path = { params: { path: { id: t.item.id } } };
      if (t.kind === 'claim') {
        const target = managedId || managed.data?.data[0]?.id;
        if (!target) throw new Error('Choose the managed certificate this one is.');
        return unwrap(
          api.POST('/api/v1/discovered-certificates/{id}/claim', { ...path, body: { managed_certificate_id: target } }),
        );
      }
      return unwrap(
        api.POST('/api/v1/discovered-certificates/{id}/dismiss', {
          ...path,
          body: { ...(reason.trim() && { reason: reason.trim() }) },
        }),
      );
    },
    onSuccess: (item, t) => {
      setMessage({
        tone: 'ok',
        text:
          t.kind === 'claim'
            ? `${item.common_name ?? item.subject} is now tracked as ${item.managed_certificate_id}.`
            : `${item.common_name ?? item.subject} dismissed.`,
      });
      close();
      queryClient.invalidateQueries({ queryKey: ['discovered'] });
    },
    onError: (e) => {
      setMessage({ tone: 'bad', text: errorMessage(e) });
      close();
    },
  });
  const writer = canWrite(roles);
  return (
    <>
      <PageHeader
        title="Discovery"
        description="Certificates the agents, network scans and cloud sources found. Claim one that a managed certificate stands for, or dismiss it."
      />
      <form className="filters" aria-label="Filter discovered certificates" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status" htmlFor="disc-status">
          <select id="disc-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="">Any</option>
            <option value="unmanaged">unmanaged (to triage)</option>
            <option value="managed">managed</option>
            <option value="dismissed">dismissed</option>
          </select>
        </Field>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {found.isPending ? (
        <Loading what="discovered certificates" />
      ) : found.isError ? (
        <ErrorState error={found.error} retry={() => found.refetch()} />
      ) : found.data.data.length === 0 ? (
        <Empty title={status === 'unmanaged' ? 'Nothing to triage.' : 'Nothing found.'}>
          Agents report the certificates they find on their hosts; network scan targets and cloud sources add more (see
          the discovery docs).
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Common name</th>
                <th scope="col">Found at</th>
                <th scope="col">Issuer</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">First seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {found.data.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.common_name ?? <span className="muted">{d.subject}</span>}
                    {d.sans.length > 0 && <div className="muted small">{d.sans.join(', ')}</div>}
                  </td>
                  <td>
                    {d.source}: <code className="wrap">{d.source_path}</code>
                  </td>
                  <td className="small">{d.issuer}</td>
                  <td>
                    <ExpiresIn value={d.not_after} />
                  </td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td>
                    <Time value={d.first_seen_at} />
                  </td>
                  <td>
                    {writer && d.status === 'unmanaged' && (
                      <div className="actions">
                        <button
                          type="button"
                          className="btn btn-small btn-primary"
                          onClick={() => setTriage({ kind: 'claim', item: d })}
                          aria-label={`Claim ${d.common_name ?? d.subject}`}
                        >
                          Claim
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setTriage({ kind: 'dismiss', item: d })}
                          aria-label={`Dismiss ${d.common_name ?? d.subject}`}
                        >
                          Dismiss
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        title={triage?.kind === 'claim' ? 'Claim a discovered certificate' : 'Dismiss a discovered certificate'}
        open={triage !== undefined}
        onClose={close}
      >
        {triage && (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              act.mutate(triage);
            }}
          >
            <p>
              <strong>{triage.item.common_name ?? triage.item.subject}</strong> at{' '}
              <code>{triage.item.source_path}</code>
            </p>
            {triage.kind === 'claim' ? (
              managed.isPending ? (
                <Loading what="managed certificates" />
              ) : (managed.data?.data.length ?? 0) === 0 ? (
                <Empty title="No managed certificate to link it to.">
                  Create the certificate first (Certificates page).
                </Empty>
              ) : (
                <Field
                  label="Managed certificate"
                  htmlFor="claim-target"
                  hint="The certificate certctl manages that this one is a copy of."
                >
                  <select id="claim-target" value={managedId} onChange={(e) => setManagedId(e.target.value)}>
                    {managed.data?.data.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.name} ({c.common_name})
                      </option>
                    ))}
                  </select>
                </Field>
              )
            ) : (
              <Field label="Reason" htmlFor="dismiss-reason" hint="Optional: why it needs no management.">
                <input id="dismiss-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
              </Field>
            )}
            <div className="actions">
              <button type="submit" className="btn btn-primary" disabled={act.isPending}>
                {triage.kind === 'claim' ? 'Claim' : 'Dismiss'}
              </button>
            </div>
          </form>
        )}
      </Dialog>
    </>
  );
}
