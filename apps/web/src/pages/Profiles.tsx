import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Empty, ErrorState, Field, Loading, Notice, PageHeader } from '../components/ui';
import { errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';

const days = (seconds: number) => `${Math.round(seconds / 86_400)} days`;

function NewPolicy() {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [window, setWindow] = useState('30');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/renewal-policies', {
          body: { name: name.trim(), renewal_window_days: Number(window) },
        }),
      ),
    onSuccess: () => {
      setName('');
      queryClient.invalidateQueries({ queryKey: ['renewal-policies'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="New renewal policy">
      <Field label="Policy name" htmlFor="policy-name">
        <input id="policy-name" required value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Renew this many days before expiry" htmlFor="policy-window">
        <input
          id="policy-window"
          type="number"
          min={1}
          max={365}
          value={window}
          onChange={(e) => setWindow(e.target.value)}
        />
      </Field>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Add policy
        </button>
      </div>
      {create.isError && <Notice tone="bad">{errorMessage(create.error)}</Notice>}
    </form>
  );
}

export function ProfilesPage() {
  const { api, roles } = useSession();
  const profiles = useQuery({
    queryKey: ['profiles'],
    queryFn: () => unwrap(api.GET('/api/v1/profiles', { params: { query: { per_page: 200 } } })),
  });
  const policies = useQuery({
    queryKey: ['renewal-policies'],
    queryFn: () => unwrap(api.GET('/api/v1/renewal-policies', { params: { query: { per_page: 200 } } })),
  });
  return (
    <>
      <PageHeader
        title="Profiles & renewal policies"
        description="Profiles bound what may be issued (key algorithms, lifetime, approval); renewal policies decide when certificates renew and who is alerted."
      />
      <section className="card" aria-labelledby="profiles-title">
        <h2 id="profiles-title">Certificate profiles</h2>
        {profiles.isPending ? (
          <Loading what="profiles" />
        ) : profiles.isError ? (
          <ErrorState error={profiles.error} retry={() => profiles.refetch()} />
        ) : profiles.data.data.length === 0 ? (
          <Empty title="No profiles.">
            Without a profile a certificate takes the issuer's defaults. Add one with POST /api/v1/profiles.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key algorithms</th>
                  <th scope="col">Max lifetime</th>
                  <th scope="col">Approval</th>
                  <th scope="col">Short-lived</th>
                  <th scope="col">Enabled</th>
                </tr>
              </thead>
              <tbody>
                {profiles.data.data.map((p) => (
                  <tr key={p.id}>
                    <td>
                      {p.name}
                      {p.description && <div className="muted small">{p.description}</div>}
                    </td>
                    <td>{p.allowed_key_algorithms.join(', ') || 'any'}</td>
                    <td>{days(p.max_ttl_seconds)}</td>
                    <td>{p.requires_approval ? 'two-person approval' : 'none'}</td>
                    <td>{p.allow_short_lived ? 'allowed' : 'no'}</td>
                    <td>{p.enabled ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="policies-title">
        <h2 id="policies-title">Renewal policies</h2>
        {policies.isPending ? (
          <Loading what="renewal policies" />
        ) : policies.isError ? (
          <ErrorState error={policies.error} retry={() => policies.refetch()} />
        ) : policies.data.data.length === 0 ? (
          <Empty title="No renewal policy.">Every certificate needs one: add the first below.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Renews</th>
                  <th scope="col">Automatic</th>
                  <th scope="col">Retries</th>
                  <th scope="col">Alerts at (days left)</th>
                </tr>
              </thead>
              <tbody>
                {policies.data.data.map((p) => (
                  <tr key={p.id}>
                    <td>{p.name}</td>
                    <td>{p.renewal_window_days} days before expiry</td>
                    <td>{p.auto_renew ? 'yes' : 'no'}</td>
                    <td>{p.max_retries}</td>
                    <td>{p.alert_thresholds_days.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {canWrite(roles) && <NewPolicy />}
      </section>
    </>
  );
}
