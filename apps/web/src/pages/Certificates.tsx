import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import {
  Dialog,
  Empty,
  ErrorState,
  ExpiresIn,
  Field,
  Loading,
  Notice,
  PageHeader,
  Pager,
  StatusBadge,
  Time,
} from '../components/ui';
import { type CertificateStatus, errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';
import { REVOCATION_REASONS } from '../lib/revocation';
import { useLookups } from '../lib/use-lookups';

const STATUSES: CertificateStatus[] = [
  'pending',
  'active',
  'expiring',
  'expired',
  'renewal_in_progress',
  'failed',
  'revoked',
  'archived',
];
const PER_PAGE = 50;

function NewCertificate({ onDone }: { onDone: (id: string) => void }) {
  const { api } = useSession();
  const lookups = useLookups();
  const queryClient = useQueryClient();
  const agentList = useQuery({
    queryKey: ['agents', 'list', false],
    queryFn: () => unwrap(api.GET('/api/v1/agents', { params: { query: { per_page: 500 } } })),
  });
  const agents = (agentList.data?.data ?? []).filter((a) => a.status !== 'retired');
  const [form, setForm] = useState({
    name: '',
    common_name: '',
    sans: '',
    issuer_id: '',
    team_id: '',
    owner_id: '',
    renewal_policy_id: '',
    profile_id: '',
    environment: '',
    csr_pem: '',
    agent_id: '',
  });
  const set = (key: keyof typeof form, value: string | boolean) => setForm((f) => ({ ...f, [key]: value }));
  const pick = (key: 'issuer_id' | 'team_id' | 'owner_id' | 'renewal_policy_id', first: string | undefined) =>
    form[key] || first || '';
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/certificates', {
          body: {
            name: form.name.trim(),
            common_name: form.common_name.trim(),
            sans: form.sans
              .split(/[,\s]+/)
              .map((s) => s.trim())
              .filter(Boolean),
            issuer_id: pick('issuer_id', lookups.issuers[0]?.id),
            team_id: pick('team_id', lookups.teams[0]?.id),
            owner_id: pick('owner_id', lookups.owners[0]?.id),
            renewal_policy_id: pick('renewal_policy_id', lookups.policies[0]?.id),
            ...(form.profile_id && { profile_id: form.profile_id }),
            ...(form.environment.trim() && { environment: form.environment.trim() }),
            ...(form.csr_pem.trim() && { csr_pem: form.csr_pem.trim() }),
            ...(form.agent_id && { agent_id: form.agent_id }),
          },
        }),
      ),
    onSuccess: (cert) => {
      queryClient.invalidateQueries({ queryKey: ['certificates'] });
      queryClient.invalidateQueries({ queryKey: ['stats'] });
      onDone(cert.id);
    },
  });
  if (!lookups.ready) return <Loading what="issuers, teams and policies" />;
  const missing = [
    lookups.issuers.length === 0 && 'an issuer (Issuers page)',
    lookups.teams.length === 0 && 'a team (POST /api/v1/teams)',
    lookups.owners.length === 0 && 'an owner (POST /api/v1/owners)',
    lookups.policies.length === 0 && 'a renewal policy (Profiles & policies page)',
  ].filter(Boolean);
  if (missing.length > 0)
    return (
      <Empty title="A certificate needs an issuer, a team, an owner and a renewal policy first.">
        Missing: {missing.join(', ')}.
      </Empty>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const select = (
    key: 'issuer_id' | 'team_id' | 'owner_id' | 'renewal_policy_id',
    label: string,
    items: { id: string; name: string }[],
  ) => (
    <Field label={label} htmlFor={`new-${key}`}>
      <select id={`new-${key}`} value={pick(key, items[0]?.id)} onChange={(e) => set(key, e.target.value)}>
        {items.map((i) => (
          <option key={i.id} value={i.id}>
            {i.name}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <form onSubmit={submit} className="form">
      <Field label="Name" htmlFor="new-name" hint="How the certificate is listed, e.g. shop-frontend.">
        <input id="new-name" required value={form.name} onChange={(e) => set('name', e.target.value)} />
      </Field>
      <Field label="Common name" htmlFor="new-cn">
        <input
          id="new-cn"
          required
          value={form.common_name}
          placeholder="www.example.com"
          onChange={(e) => set('common_name', e.target.value)}
        />
      </Field>
      <Field label="Subject alternative names" htmlFor="new-sans" hint="DNS names or IP addresses, comma-separated.">
        <input id="new-sans" value={form.sans} onChange={(e) => set('sans', e.target.value)} />
      </Field>
      {select('issuer_id', 'Issuer', lookups.issuers)}
      {select('team_id', 'Team', lookups.teams)}
      {select('owner_id', 'Owner', lookups.owners)}
      {select('renewal_policy_id', 'Renewal policy', lookups.policies)}
      <Field label="Profile" htmlFor="new-profile">
        <select id="new-profile" value={form.profile_id} onChange={(e) => set('profile_id', e.target.value)}>
          <option value="">(none)</option>
          {lookups.profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Environment" htmlFor="new-env" hint="Optional: production, staging…">
        <input id="new-env" value={form.environment} onChange={(e) => set('environment', e.target.value)} />
      </Field>
      <Field
        label="Agent"
        htmlFor="new-agent"
        hint="An agent makes the key on its host and sends the CSR; the private key never leaves it."
      >
        <select id="new-agent" value={form.agent_id} onChange={(e) => set('agent_id', e.target.value)}>
          <option value="">(none: paste a CSR below)</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.hostname || a.status})
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="CSR (PEM)"
        htmlFor="new-csr"
        hint="Or paste a CSR made where the key lives (openssl req -new -key key.pem -subj /CN=www.example.com). With an agent or a CSR it is issued at once; without either it waits for one."
      >
        <textarea
          id="new-csr"
          rows={4}
          value={form.csr_pem}
          placeholder="-----BEGIN CERTIFICATE REQUEST-----"
          onChange={(e) => set('csr_pem', e.target.value)}
        />
      </Field>
      {create.isError && <Notice tone="bad">{errorMessage(create.error)}</Notice>}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create certificate'}
        </button>
      </div>
    </form>
  );
}

export function CertificatesPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const [status, setStatus] = useState<string>(params.get('status') ?? '');
  const [issuer, setIssuer] = useState('');
  const [environment, setEnvironment] = useState('');
  const [expiringDays, setExpiringDays] = useState(params.get('expiring') ?? '');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(params.has('new'));
  const [revoking, setRevoking] = useState(false);
  const [reason, setReason] = useState<string>('unspecified');
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const lookups = useLookups();
  const writer = canWrite(roles);

  const expiresBefore = useMemo(
    () => (expiringDays ? new Date(Date.now() + Number(expiringDays) * 86_400_000).toISOString() : undefined),
    [expiringDays],
  );
  const query = {
    page,
    per_page: PER_PAGE,
    ...(status && { status: status as CertificateStatus }),
    ...(issuer && { issuer_id: issuer }),
    ...(environment.trim() && { environment: environment.trim() }),
    ...(expiresBefore && { expires_before: expiresBefore }),
  };
  const list = useQuery({
    queryKey: ['certificates', 'list', query],
    queryFn: () => unwrap(api.GET('/api/v1/certificates', { params: { query } })),
  });
  const needle = search.trim().toLowerCase();
  const rows = (list.data?.data ?? []).filter(
    (c) =>
      !needle ||
      c.name.toLowerCase().includes(needle) ||
      c.common_name.toLowerCase().includes(needle) ||
      c.sans.some((s) => s.toLowerCase().includes(needle)) ||
      c.id.toLowerCase().includes(needle),
  );
  const issuerName = (id: string) => lookups.issuers.find((i) => i.id === id)?.name ?? id;

  const after = (text: string) => {
    setMessage({ tone: 'ok', text });
    setSelected(new Set());
    queryClient.invalidateQueries({ queryKey: ['certificates'] });
    queryClient.invalidateQueries({ queryKey: ['stats'] });
    queryClient.invalidateQueries({ queryKey: ['jobs'] });
  };
  const failed = (error: unknown) => setMessage({ tone: 'bad', text: errorMessage(error) });
  const bulkRenew = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/certificates/bulk-renew', { body: { certificate_ids: [...selected] } })),
    onSuccess: (op) => after(`Renewal requested for ${op.total} certificate(s) (bulk operation ${op.id}).`),
    onError: failed,
  });
  const bulkRevoke = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/certificates/bulk-revoke', { body: { certificate_ids: [...selected], reason } })),
    onSuccess: (op) => {
      setRevoking(false);
      after(`Revocation requested for ${op.total} certificate(s) (bulk operation ${op.id}).`);
    },
    onError: (e) => {
      setRevoking(false);
      failed(e);
    },
  });

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));

  return (
    <>
      <PageHeader
        title="Certificates"
        description="Every managed certificate: filter, search, select several to renew or revoke, open one for its versions and deployments."
        actions={
          writer && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New certificate
            </button>
          )
        }
      />
      <form className="filters" aria-label="Filter certificates" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search" htmlFor="cert-search">
          <input
            id="cert-search"
            type="search"
            placeholder="name, common name, SAN or id"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </Field>
        <Field label="Status" htmlFor="cert-status">
          <select
            id="cert-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setPage(1);
            }}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Issuer" htmlFor="cert-issuer">
          <select
            id="cert-issuer"
            value={issuer}
            onChange={(e) => {
              setIssuer(e.target.value);
              setPage(1);
            }}
          >
            <option value="">Any</option>
            {lookups.issuers.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Environment" htmlFor="cert-env">
          <input id="cert-env" value={environment} onChange={(e) => setEnvironment(e.target.value)} />
        </Field>
        <Field label="Expires within" htmlFor="cert-expiring">
          <select id="cert-expiring" value={expiringDays} onChange={(e) => setExpiringDays(e.target.value)}>
            <option value="">Any time</option>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
          </select>
        </Field>
      </form>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {writer && selected.size > 0 && (
        <section className="bulkbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button type="button" className="btn" onClick={() => bulkRenew.mutate()} disabled={bulkRenew.isPending}>
            Renew selected
          </button>
          <button type="button" className="btn btn-danger" onClick={() => setRevoking(true)}>
            Revoke selected…
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </section>
      )}
      {list.isPending ? (
        <Loading what="certificates" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty
          title={
            list.data.total === 0 && !status && !issuer
              ? 'No certificates yet.'
              : 'No certificate matches these filters.'
          }
        >
          {list.data.total === 0 && !status && !issuer
            ? 'Create one with “New certificate”, or claim one an agent found on the Discovery page.'
            : 'Clear a filter or the search to see more.'}
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  {writer && (
                    <th scope="col">
                      <input
                        type="checkbox"
                        aria-label="Select all on this page"
                        checked={allSelected}
                        onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                      />
                    </th>
                  )}
                  <th scope="col">Name</th>
                  <th scope="col">Common name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Issuer</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Left</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.id}>
                    {writer && (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${c.name}`}
                          checked={selected.has(c.id)}
                          onChange={() => toggle(c.id)}
                        />
                      </td>
                    )}
                    <td>
                      <Link href={`/certificates/${c.id}`}>{c.name}</Link>
                    </td>
                    <td>{c.common_name}</td>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                    <td>{issuerName(c.issuer_id)}</td>
                    <td>{c.environment || <span className="muted">—</span>}</td>
                    <td>
                      <Time value={c.expires_at} />
                    </td>
                    <td>
                      <ExpiresIn value={c.expires_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} perPage={PER_PAGE} total={list.data.total} onPage={setPage} />
        </>
      )}
      <Dialog title="New certificate" open={creating} onClose={() => setCreating(false)}>
        <NewCertificate
          onDone={(id) => {
            setCreating(false);
            navigate(`/certificates/${id}`);
          }}
        />
      </Dialog>
      <Dialog title={`Revoke ${selected.size} certificate(s)`} open={revoking} onClose={() => setRevoking(false)}>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            bulkRevoke.mutate();
          }}
        >
          <p>Revocation cannot be undone: the issuer publishes it in its CRL and OCSP answers.</p>
          <Field label="Reason" htmlFor="bulk-reason">
            <select id="bulk-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
              {REVOCATION_REASONS.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
          <div className="actions">
            <button type="submit" className="btn btn-danger" disabled={bulkRevoke.isPending}>
              Revoke
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
