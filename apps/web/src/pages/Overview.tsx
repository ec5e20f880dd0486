import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ErrorState, ExpiresIn, Loading, PageHeader, StatusBadge, Time } from '../components/ui';
import { ExpiryTimeline } from '../components/Timeline';
import { unwrap } from '../lib/api';
import { useSession } from '../lib/auth';

interface Summary {
  certificates?: { total?: number; by_status?: Record<string, number>; expiring_within_30_days?: number };
  jobs?: Record<string, number>;
  agents?: Record<string, number>;
  pending_approvals?: number;
}

const STATUS_ORDER = [
  'active',
  'expiring',
  'expired',
  'renewal_in_progress',
  'pending',
  'failed',
  'revoked',
  'archived',
];

function Onboarding() {
  return (
    <section className="card onboarding" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Get started</h2>
      <p className="muted">Nothing is managed yet. Three steps bring the first certificate under management:</p>
      <ol className="steps">
        <li>
          <strong>Connect a CA.</strong> Add an issuer (the built-in local CA, ACME, Vault, a commercial CA…) on the{' '}
          <Link href="/issuers">Issuers</Link> page and test its connection.
        </li>
        <li>
          <strong>Install an agent</strong> on a host that serves TLS:{' '}
          <code>certctl-agent --server https://this-server:8443</code> with the bootstrap token (
          <code>CERTCTL_AGENT_BOOTSTRAP_TOKEN</code>). It appears on the <Link href="/agents">Agents</Link> page.
        </li>
        <li>
          <strong>Add a certificate</strong> on the <Link href="/certificates">Certificates</Link> page, or claim one
          the agents found on the <Link href="/discovery">Discovery</Link> page.
        </li>
      </ol>
    </section>
  );
}

export function OverviewPage() {
  const { api } = useSession();
  const summary = useQuery({
    queryKey: ['stats', 'summary'],
    queryFn: () => unwrap(api.GET('/api/v1/stats/summary')) as Promise<Summary>,
  });
  const timeline = useQuery({
    queryKey: ['stats', 'timeline'],
    queryFn: () => unwrap(api.GET('/api/v1/stats/expiration-timeline', { params: { query: { weeks: 26 } } })),
  });
  const soon = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const expiring = useQuery({
    queryKey: ['certificates', 'expiring-soon'],
    queryFn: () =>
      unwrap(api.GET('/api/v1/certificates', { params: { query: { expires_before: soon, per_page: 10 } } })),
  });
  const failedJobs = useQuery({
    queryKey: ['jobs', 'failed'],
    queryFn: () => unwrap(api.GET('/api/v1/jobs', { params: { query: { status: 'failed', per_page: 5 } } })),
  });
  const offline = useQuery({
    queryKey: ['agents', 'offline'],
    queryFn: () => unwrap(api.GET('/api/v1/agents', { params: { query: { per_page: 100 } } })),
    select: (page) => page.data.filter((a) => a.status === 'offline'),
  });
  const issuers = useQuery({
    queryKey: ['issuers'],
    queryFn: () => unwrap(api.GET('/api/v1/issuers', { params: { query: { per_page: 100 } } })),
  });

  if (summary.isPending) return <Loading what="the overview" />;
  if (summary.isError) return <ErrorState error={summary.error} retry={() => summary.refetch()} />;
  const certs = summary.data.certificates ?? {};
  const byStatus = certs.by_status ?? {};
  const total = certs.total ?? 0;
  const expiringSoon = (expiring.data?.data ?? [])
    .filter((c) => c.status !== 'revoked' && c.status !== 'archived')
    .sort((a, b) => String(a.expires_at).localeCompare(String(b.expires_at)));

  return (
    <>
      <PageHeader title="Overview" description="Certificates by status, what expires soon, and what needs attention." />
      {total === 0 && (issuers.data?.data.length ?? 0) <= 1 && <Onboarding />}
      <section aria-labelledby="counts-title">
        <h2 id="counts-title" className="visually-hidden">
          Certificates by status
        </h2>
        <div className="stats">
          <Link href="/certificates" className="stat">
            <span className="stat-value">{total}</span>
            <span className="stat-label">certificates</span>
          </Link>
          {STATUS_ORDER.filter((s) => byStatus[s]).map((status) => (
            <Link key={status} href={`/certificates?status=${status}`} className={`stat stat-${status}`}>
              <span className="stat-value">{byStatus[status]}</span>
              <span className="stat-label">{status.replaceAll('_', ' ')}</span>
            </Link>
          ))}
          <Link href="/certificates?expiring=30" className="stat stat-expiring">
            <span className="stat-value">{certs.expiring_within_30_days ?? 0}</span>
            <span className="stat-label">expire within 30 days</span>
          </Link>
          <Link href="/jobs" className="stat">
            <span className="stat-value">{summary.data.pending_approvals ?? 0}</span>
            <span className="stat-label">pending approvals</span>
          </Link>
          <Link href="/agents" className="stat">
            <span className="stat-value">{summary.data.agents?.offline ?? 0}</span>
            <span className="stat-label">agents offline</span>
          </Link>
        </div>
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Expiry timeline</h2>
          {timeline.isError ? (
            <ErrorState error={timeline.error} retry={() => timeline.refetch()} />
          ) : timeline.data ? (
            <ExpiryTimeline weeks={timeline.data.data} />
          ) : (
            <Loading what="the timeline" />
          )}
        </section>
        <section className="card" aria-labelledby="expiring-title">
          <h2 id="expiring-title">Expiring within 30 days</h2>
          {expiring.isError ? (
            <ErrorState error={expiring.error} retry={() => expiring.refetch()} />
          ) : expiringSoon.length === 0 ? (
            <p className="muted">Nothing expires in the next 30 days.</p>
          ) : (
            <ul className="list">
              {expiringSoon.map((c) => (
                <li key={c.id}>
                  <Link href={`/certificates/${c.id}`}>{c.name}</Link> <span className="muted">{c.common_name}</span>{' '}
                  <ExpiresIn value={c.expires_at} />
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="failed-title">
          <h2 id="failed-title">Failed jobs</h2>
          {failedJobs.isError ? (
            <ErrorState error={failedJobs.error} retry={() => failedJobs.refetch()} />
          ) : (failedJobs.data?.data.length ?? 0) === 0 ? (
            <p className="muted">No failed jobs.</p>
          ) : (
            <ul className="list">
              {failedJobs.data?.data.map((j) => (
                <li key={j.id}>
                  <StatusBadge status={j.status} /> {j.type} of{' '}
                  <Link href={`/certificates/${j.certificate_id}`}>{j.certificate_id}</Link>{' '}
                  <span className="muted">{j.last_error}</span> <Time value={j.updated_at} relative />
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="offline-title">
          <h2 id="offline-title">Agents offline</h2>
          {offline.isError ? (
            <ErrorState error={offline.error} retry={() => offline.refetch()} />
          ) : (offline.data?.length ?? 0) === 0 ? (
            <p className="muted">Every agent is reporting in.</p>
          ) : (
            <ul className="list">
              {offline.data?.map((a) => (
                <li key={a.id}>
                  {a.name} <span className="muted">{a.hostname}</span> last seen{' '}
                  <Time value={a.last_heartbeat_at} relative />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
