import type { ServiceDeps } from './service-deps.js';

/** A link to the certificate in the dashboard, when CERTCTL_NOTIFY_DASHBOARD_URL says where it is. */
export function certificateUrl(deps: Pick<ServiceDeps, 'settings'>, certificateId: string): string | undefined {
  const base = deps.settings.notifications.dashboardUrl;
  return base ? `${base.replace(/\/+$/, '')}/certificates/${encodeURIComponent(certificateId)}` : undefined;
}
