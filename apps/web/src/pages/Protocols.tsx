import { useQuery } from '@tanstack/react-query';
import { Empty, ErrorState, Loading, PageHeader } from '../components/ui';
import { unwrap } from '../lib/api';
import { useSession } from '../lib/auth';

/** The ACME directory, when the ACME server is on (a public document; 404 when it is off). */
async function acmeDirectory(): Promise<Record<string, unknown> | null> {
  const response = await fetch('/acme/directory', { headers: { accept: 'application/json' } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`the ACME directory answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

export function ProtocolsPage() {
  const { api, roles } = useSession();
  const admin = roles.includes('admin');
  const acme = useQuery({ queryKey: ['acme', 'directory'], queryFn: acmeDirectory });
  const est = useQuery({
    queryKey: ['est', 'profiles'],
    queryFn: () => unwrap(api.GET('/api/v1/admin/est/profiles')),
    enabled: admin,
  });
  const scep = useQuery({
    queryKey: ['scep', 'profiles'],
    queryFn: () => unwrap(api.GET('/api/v1/admin/scep/profiles')),
    enabled: admin,
  });
  return (
    <>
      <PageHeader
        title="ACME, EST and SCEP"
        description="The enrollment protocols this server speaks, as configured by its CERTCTL_ACME_*, CERTCTL_EST_* and CERTCTL_SCEP_* variables (read-only here)."
      />
      <section className="card" aria-labelledby="acme-title">
        <h2 id="acme-title">ACME server</h2>
        {acme.isPending ? (
          <Loading what="the ACME directory" />
        ) : acme.isError ? (
          <ErrorState error={acme.error} retry={() => acme.refetch()} />
        ) : acme.data === null ? (
          <Empty title="The ACME server is off.">
            Set CERTCTL_ACME_SERVER_ENABLED=true to let ACME clients (certbot, lego, cert-manager) enroll here.
          </Empty>
        ) : (
          <dl className="facts">
            {Object.entries(acme.data)
              .filter(([, v]) => typeof v === 'string')
              .map(([k, v]) => (
                <div key={k} className="fact">
                  <dt>{k}</dt>
                  <dd>
                    <code className="wrap">{String(v)}</code>
                  </dd>
                </div>
              ))}
          </dl>
        )}
      </section>
      {!admin && <p className="callout">The EST and SCEP profiles are shown to admin keys only.</p>}
      {admin && (
        <>
          <section className="card" aria-labelledby="est-title">
            <h2 id="est-title">EST profiles</h2>
            {est.isPending ? (
              <Loading what="EST profiles" />
            ) : est.isError ? (
              <ErrorState error={est.error} retry={() => est.refetch()} />
            ) : est.data.data.length === 0 ? (
              <Empty title="No EST profile.">
                Set CERTCTL_EST_PROFILES and the CERTCTL_EST_PROFILE_&lt;NAME&gt;_* variables.
              </Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Profile</th>
                      <th scope="col">Path</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">Authentication</th>
                      <th scope="col">Server key generation</th>
                    </tr>
                  </thead>
                  <tbody>
                    {est.data.data.map((p) => (
                      <tr key={p.profile}>
                        <td>{p.profile}</td>
                        <td>
                          <code>{p.path}</code>
                        </td>
                        <td>{p.issuer_id}</td>
                        <td>{p.auth_modes.join(', ')}</td>
                        <td>{p.server_keygen_enabled ? 'yes' : 'no'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section className="card" aria-labelledby="scep-title">
            <h2 id="scep-title">SCEP profiles</h2>
            {scep.isPending ? (
              <Loading what="SCEP profiles" />
            ) : scep.isError ? (
              <ErrorState error={scep.error} retry={() => scep.refetch()} />
            ) : scep.data.data.length === 0 ? (
              <Empty title="No SCEP profile.">
                Set CERTCTL_SCEP_PROFILES and the CERTCTL_SCEP_PROFILE_&lt;NAME&gt;_* variables.
              </Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Profile</th>
                      <th scope="col">Path</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">Intune</th>
                    </tr>
                  </thead>
                  <tbody>
                    {scep.data.data.map((p) => (
                      <tr key={p.profile}>
                        <td>{p.profile}</td>
                        <td>
                          <code>{p.path}</code>
                        </td>
                        <td>{p.issuer_id}</td>
                        <td>{p.intune_enabled ? 'yes' : 'no'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
