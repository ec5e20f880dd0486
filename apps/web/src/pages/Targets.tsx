import { useQuery } from '@tanstack/react-query';
import { Empty, ErrorState, Loading, PageHeader, Time } from '../components/ui';
import { unwrap } from '../lib/api';
import { useSession } from '../lib/auth';

export function TargetsPage() {
  const { api } = useSession();
  const targets = useQuery({
    queryKey: ['targets'],
    queryFn: () => unwrap(api.GET('/api/v1/targets', { params: { query: { per_page: 500 } } })),
  });
  return (
    <>
      <PageHeader
        title="Targets"
        description="Where certificates are deployed: web servers, load balancers, key stores and cloud services, each reached by an agent or by the server."
      />
      {targets.isPending ? (
        <Loading what="targets" />
      ) : targets.isError ? (
        <ErrorState error={targets.error} retry={() => targets.refetch()} />
      ) : targets.data.data.length === 0 ? (
        <Empty title="No targets yet.">
          Add one with <code>POST /api/v1/targets</code> (type nginx, haproxy, apache, k8s-secret, aws-acm…) and attach
          it to a certificate; the agent named on it deploys every new version.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Agent</th>
                <th scope="col">Config checked by</th>
                <th scope="col">Enabled</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {targets.data.data.map((t) => (
                <tr key={t.id}>
                  <td>
                    {t.name} <span className="muted small">{t.id}</span>
                  </td>
                  <td>{t.type}</td>
                  <td>{t.agent_id ?? <span className="muted">server</span>}</td>
                  <td>{t.config_schema_source}</td>
                  <td>{t.enabled ? 'yes' : 'no'}</td>
                  <td>
                    <Time value={t.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
