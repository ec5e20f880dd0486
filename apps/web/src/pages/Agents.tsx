import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog, Empty, ErrorState, Field, Loading, Notice, PageHeader, StatusBadge, Time } from '../components/ui';
import { type Agent, errorMessage, unwrap } from '../lib/api';
import { canWrite, useSession } from '../lib/auth';

export function AgentsPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const [showRetired, setShowRetired] = useState(false);
  const [retiring, setRetiring] = useState<Agent>();
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const agents = useQuery({
    queryKey: ['agents', 'list', showRetired],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/agents', {
          params: { query: { per_page: 500, include_retired: showRetired ? 'true' : 'false' } },
        }),
      ),
    refetchInterval: 30_000,
  });
  const retire = useMutation({
    mutationFn: (agent: Agent) =>
      unwrap(
        api.DELETE('/api/v1/agents/{id}', {
          params: { path: { id: agent.id }, query: { ...(reason.trim() && { reason: reason.trim() }) } },
        }),
      ),
    onSuccess: () => {
      setMessage({ tone: 'ok', text: `Agent ${retiring?.name} retired; its key no longer works.` });
      setRetiring(undefined);
      setReason('');
      queryClient.invalidateQueries({ queryKey: ['agents'] });
    },
    onError: (e) => {
      setMessage({ tone: 'bad', text: errorMessage(e) });
      setRetiring(undefined);
    },
  });
  return (
    <>
      <PageHeader
        title="Agents"
        description="The agents that hold keys and deploy certificates on hosts: their health and when they last reported."
      />
      <label className="check" htmlFor="show-retired">
        <input
          id="show-retired"
          type="checkbox"
          checked={showRetired}
          onChange={(e) => setShowRetired(e.target.checked)}
        />{' '}
        Show retired agents
      </label>
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {agents.isPending ? (
        <Loading what="agents" />
      ) : agents.isError ? (
        <ErrorState error={agents.error} retry={() => agents.refetch()} />
      ) : agents.data.data.length === 0 ? (
        <Empty title="No agents yet.">
          Install one on a host: <code>certctl-agent --server https://this-server:8443</code> with the bootstrap token
          set in <code>CERTCTL_AGENT_BOOTSTRAP_TOKEN</code>. It registers itself and shows here.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Host</th>
                <th scope="col">Health</th>
                <th scope="col">Last seen</th>
                <th scope="col">Version</th>
                <th scope="col">Platform</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {agents.data.data.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>
                    {a.hostname} <span className="muted">{a.ip_address}</span>
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td>
                    <Time value={a.last_heartbeat_at} relative />
                  </td>
                  <td>{a.version}</td>
                  <td>
                    {a.os}/{a.architecture}
                  </td>
                  <td>
                    {canWrite(roles) && a.status !== 'retired' && (
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setRetiring(a)}>
                        Retire…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        title={`Retire ${retiring?.name ?? ''}`}
        open={retiring !== undefined}
        onClose={() => setRetiring(undefined)}
      >
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (retiring) retire.mutate(retiring);
          }}
        >
          <p>The agent's key stops working and it gets no more work. Certificates it deployed stay where they are.</p>
          <Field label="Reason" htmlFor="retire-reason" hint="Optional; recorded in the audit trail.">
            <input id="retire-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <div className="actions">
            <button type="submit" className="btn btn-danger" disabled={retire.isPending}>
              Retire agent
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
