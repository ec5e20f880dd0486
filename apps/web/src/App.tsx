import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { useAuth } from './lib/auth';
import { applyTheme, initialTheme, type Theme } from './lib/theme';
import { AgentsPage } from './pages/Agents';
import { AuditPage } from './pages/Audit';
import { CertificateDetailPage } from './pages/CertificateDetail';
import { CertificatesPage } from './pages/Certificates';
import { DiscoveryPage } from './pages/Discovery';
import { IssuersPage } from './pages/Issuers';
import { JobsPage } from './pages/Jobs';
import { LoginPage } from './pages/Login';
import { NotificationsPage } from './pages/Notifications';
import { OverviewPage } from './pages/Overview';
import { ProfilesPage } from './pages/Profiles';
import { ProtocolsPage } from './pages/Protocols';
import { TargetsPage } from './pages/Targets';

export const NAVIGATION = [
  { path: '/', label: 'Overview' },
  { path: '/certificates', label: 'Certificates' },
  { path: '/jobs', label: 'Jobs & approvals' },
  { path: '/agents', label: 'Agents' },
  { path: '/issuers', label: 'Issuers' },
  { path: '/targets', label: 'Targets' },
  { path: '/discovery', label: 'Discovery' },
  { path: '/notifications', label: 'Notifications' },
  { path: '/profiles', label: 'Profiles & policies' },
  { path: '/protocols', label: 'ACME, EST, SCEP' },
  { path: '/audit', label: 'Audit trail' },
] as const;

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => applyTheme(theme), [theme]);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="btn btn-ghost"
      onClick={() => setTheme(next)}
      aria-label={`Switch to ${next} theme`}
    >
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}

function isCurrent(path: string, location: string): boolean {
  return path === '/' ? location === '/' : location === path || location.startsWith(`${path}/`);
}

export function App() {
  const { session } = useAuth();
  const [location] = useLocation();
  const queryClient = useQueryClient();
  // A new key may see other things: nothing cached under the previous one is shown.
  useEffect(() => {
    if (!session) queryClient.clear();
  }, [session, queryClient]);

  if (!session)
    return (
      <>
        <div className="login-theme">
          <ThemeToggle />
        </div>
        <LoginPage />
      </>
    );

  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ✓
          </span>{' '}
          certctl
        </div>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.path}>
                <Link
                  href={item.path}
                  className={isCurrent(item.path, location) ? 'nav-link active' : 'nav-link'}
                  aria-current={isCurrent(item.path, location) ? 'page' : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <p className="muted small">
            Logged in as <strong>{session.name}</strong> ({session.role})
          </p>
          <ThemeToggle />
          <button type="button" className="btn btn-ghost" onClick={() => session.logout()}>
            Log out
          </button>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        <Switch>
          <Route path="/" component={OverviewPage} />
          <Route path="/certificates" component={CertificatesPage} />
          <Route path="/certificates/:id">{(params) => <CertificateDetailPage id={params.id} />}</Route>
          <Route path="/jobs" component={JobsPage} />
          <Route path="/agents" component={AgentsPage} />
          <Route path="/issuers" component={IssuersPage} />
          <Route path="/targets" component={TargetsPage} />
          <Route path="/discovery" component={DiscoveryPage} />
          <Route path="/notifications" component={NotificationsPage} />
          <Route path="/profiles" component={ProfilesPage} />
          <Route path="/protocols" component={ProtocolsPage} />
          <Route path="/audit" component={AuditPage} />
          <Route>
            <section>
              <h1>Page not found</h1>
              <p>
                There is no page at <code>{location}</code>. Go to the <Link href="/">overview</Link>.
              </p>
            </section>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
