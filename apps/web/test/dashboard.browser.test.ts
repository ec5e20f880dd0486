import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCertificateAuthority } from '@certctl/pki';
import { call, KEYS, makeCsr, startTestServer, type TestServer } from '@certctl/server/testing';
import { PGlite } from '@electric-sql/pglite';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The dashboard in Debian's Chromium (playwright-core) against one real server on PGlite with seeded
 * data, for the whole file: every page renders without console errors and passes axe-core, and the
 * operator journeys work end to end. Screenshots of every page go to apps/web/test-output/dashboard/.
 */
const CHROMIUM = '/usr/bin/chromium';
const WEB = resolve(import.meta.dirname, '..');
const DIST = join(WEB, 'dist');
const OUTPUT = join(WEB, 'test-output', 'dashboard');
const BOOTSTRAP = 'bootstrap-token-for-the-dashboard-0123';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PAGES = [
  { path: '/', name: 'overview', heading: 'Overview' },
  { path: '/certificates', name: 'certificates', heading: 'Certificates' },
  { path: '/jobs', name: 'jobs', heading: 'Jobs & approvals' },
  { path: '/agents', name: 'agents', heading: 'Agents' },
  { path: '/issuers', name: 'issuers', heading: 'Issuers' },
  { path: '/targets', name: 'targets', heading: 'Targets' },
  { path: '/discovery', name: 'discovery', heading: 'Discovery' },
  { path: '/notifications', name: 'notifications', heading: 'Notifications' },
  { path: '/profiles', name: 'profiles', heading: 'Profiles & renewal policies' },
  { path: '/protocols', name: 'protocols', heading: 'ACME, EST and SCEP' },
  { path: '/audit', name: 'audit', heading: 'Audit trail' },
] as const;

describe('the web dashboard in Chromium', () => {
  let pglite: PGlite;
  let server: TestServer;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;
  let base: string;
  /** Console errors, failed requests and CSP violations of the whole run. */
  const problems: string[] = [];
  const seeded = { approvalCertificate: '', discoveredCn: 'legacy.example.com' };

  const api = async (method: 'GET' | 'POST', url: string, body?: unknown, key: string = KEYS.admin) => {
    const answer = await call(server.api, method, url, body, key);
    if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${answer.body}`);
    return answer.json;
  };

  async function seed() {
    const team = await api('POST', '/api/v1/teams', { name: 'Platform' });
    const owner = await api('POST', '/api/v1/owners', { name: 'Ops', email: 'ops@example.com', team_id: team.id });
    const policy = await api('POST', '/api/v1/renewal-policies', { name: 'standard-30d', renewal_window_days: 30 });
    const issuers = await api('GET', '/api/v1/issuers');
    const issuerId = String(issuers.data?.[0]?.id);
    const approval = await api('POST', '/api/v1/profiles', { name: 'production-approval', requires_approval: true });
    const base = { owner_id: owner.id, team_id: team.id, renewal_policy_id: policy.id, issuer_id: issuerId };
    // Issued now: the overview has counts, a timeline and an expiring-soon list.
    for (const name of ['api-gateway', 'billing', 'intranet'])
      await api('POST', '/api/v1/certificates', {
        ...base,
        name,
        common_name: `${name}.example.com`,
        csr_pem: await makeCsr(`${name}.example.com`),
      });
    // Requested by alice under a profile that needs a second person.
    const parked = await api(
      'POST',
      '/api/v1/certificates',
      {
        ...base,
        name: 'payments',
        common_name: 'payments.example.com',
        profile_id: approval.id,
        csr_pem: await makeCsr('payments.example.com'),
      },
      KEYS.alice,
    );
    seeded.approvalCertificate = String(parked.id);
    // An agent that found a certificate nobody manages yet.
    const agent = await api('POST', '/api/v1/agents', { name: 'web-01' }, BOOTSTRAP);
    const legacy = await createCertificateAuthority({ subject: { CN: seeded.discoveredCn } });
    await api(
      'POST',
      `/api/v1/agents/${agent.id}/discoveries`,
      {
        directories: ['/etc/ssl'],
        certificates: [{ path: '/etc/ssl/legacy.pem', certificate_pem: legacy.certificate.pem }],
        scan_duration_ms: 5,
      },
      String(agent.api_key),
    );
  }

  async function login(key: string) {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  async function logout() {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').waitFor();
  }

  /** Client-side navigation through the sidebar (a reload would forget the in-memory key). */
  async function open(path: string, heading: string) {
    const label = PAGES.find((p) => p.path === path);
    if (!label) throw new Error(`no page ${path}`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: navLabel(path), exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelector('.loading') === null);
  }

  async function axeViolations(): Promise<string[]> {
    await page.evaluate(AXE_SOURCE);
    return page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page above.
      const axe = (window as any).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
  }

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html')))
      execFileSync(process.execPath, [join(WEB, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
        cwd: WEB,
        stdio: 'inherit',
      });
    mkdirSync(OUTPUT, { recursive: true });
    pglite = await PGlite.create('memory://');
    server = await startTestServer({
      database: { pglite },
      installed: true,
      scheduler: true,
      listen: true,
      env: {
        CERTCTL_SERVER_HOST: '127.0.0.1',
        // The protocols page shows the ACME directory (with the server off it would answer a 404 the browser logs).
        CERTCTL_ACME_SERVER_ENABLED: 'true',
        CERTCTL_WEB_DIR: DIST,
        CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP,
        CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '1s',
      },
    });
    base = String(server.urls.api);
    await seed();
    profile = mkdtempSync(join(tmpdir(), 'certctl-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      viewport: { width: 1366, height: 900 },
      timezoneId: 'Europe/Berlin',
      colorScheme: 'dark',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      // A refused self-approval (403) is part of a journey; any other failure is a problem.
      if (response.status() >= 500) problems.push(`${response.status()} ${response.url()}`);
    });
  }, 180_000);

  afterAll(async () => {
    // docs/images/dashboard/ holds copies for docs/dashboard.md: refreshed with UPDATE_DASHBOARD_IMAGES=1.
    if (process.env.UPDATE_DASHBOARD_IMAGES === '1') {
      const docs = resolve(WEB, '../../docs/images/dashboard');
      mkdirSync(docs, { recursive: true });
      for (const name of [...PAGES.map((p) => p.name), 'login', 'certificate-detail', 'overview-light'])
        if (existsSync(join(OUTPUT, `${name}.png`)))
          copyFileSync(join(OUTPUT, `${name}.png`), join(docs, `${name}.png`));
    }
    await browser?.close();
    await server?.stop();
    await pglite?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  // A failed step leaves a picture of the page and what the browser complained about.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || !page) return;
    const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(OUTPUT, `failed-${name}.png`), fullPage: true }).catch(() => {});
    console.error(`[dashboard test] ${context.task.name}: url ${page.url()}; browser problems:`, problems);
  });

  it('logs in with an API key kept in memory only, and refuses a wrong one', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill('not-a-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('The server does not know this key').waitFor();
    problems.length = 0; // the refused login's 401 is logged by the browser as a failed resource
    await page.screenshot({ path: join(OUTPUT, 'login.png') });
    await login(KEYS.admin);
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie,
    );
    expect(stored).not.toContain(KEYS.admin);
    // A reload forgets the key.
    await page.reload();
    await page.getByLabel('API key').waitFor();
    await login(KEYS.admin);
  });

  it('renders every page without console errors or serious axe violations, in both themes', async () => {
    for (const entry of PAGES) {
      await open(entry.path, entry.heading);
      expect(await axeViolations(), entry.path).toEqual([]);
      await page.screenshot({ path: join(OUTPUT, `${entry.name}.png`), fullPage: true });
    }
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    for (const entry of PAGES) {
      await open(entry.path, entry.heading);
      expect(await axeViolations(), `${entry.path} (light)`).toEqual([]);
    }
    await open('/', 'Overview');
    await page.screenshot({ path: join(OUTPUT, 'overview-light.png'), fullPage: true });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(problems).toEqual([]);
  });

  it('shows times in the browser zone with the UTC value on hover', async () => {
    await open('/certificates', 'Certificates');
    const time = page.locator('td time').first();
    const title = await time.getAttribute('title');
    const iso = await time.getAttribute('datetime');
    expect(title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    const berlin = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(String(iso)));
    expect(await time.textContent()).toContain(berlin);
  });

  it('creates an issuer from the form generated from its schema, and tests its connection', async () => {
    await open('/issuers', 'Issuers');
    await page.getByRole('button', { name: 'Add issuer: Local CA' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Team CA');
    await dialog.getByLabel(/^CA common name/).fill('certctl Team Root');
    await dialog.getByLabel(/^Validity days/).fill('0');
    await dialog.getByRole('button', { name: 'Create issuer' }).click();
    // Checked against the schema in the browser before anything is sent.
    await dialog.getByText('Validity days must be at least 1').waitFor();
    await dialog.getByLabel(/^Validity days/).fill('90');
    await dialog.getByRole('button', { name: 'Create issuer' }).click();
    await page.getByText('Issuer Team CA created').waitFor();
    await page.getByRole('button', { name: 'Test connection of Team CA' }).click();
    await page.getByText(/Test of .*: connected/).waitFor();
    const created = (await api('GET', '/api/v1/issuers')).data?.find((i) => i.name === 'Team CA');
    expect(created).toMatchObject({ type: 'local', test_status: 'ok' });
    expect(created?.config).toMatchObject({ validity_days: 90 });
  });

  it('creates a certificate, sees it issued, revokes it and sees the status change', async () => {
    await open('/certificates', 'Certificates');
    await page.getByRole('button', { name: 'New certificate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('shop-frontend');
    await dialog.getByLabel('Common name').fill('shop.example.com');
    await dialog.getByLabel('Subject alternative names').fill('www.shop.example.com');
    await dialog.getByLabel('Issuer').selectOption({ label: 'Team CA' });
    await dialog.getByLabel('CSR (PEM)').fill(await makeCsr('shop.example.com', ['www.shop.example.com']));
    await dialog.getByRole('button', { name: 'Create certificate' }).click();
    await page.getByRole('heading', { level: 1, name: 'shop-frontend' }).waitFor();
    const status = page.getByTestId('certificate-status');
    await status.getByText('active').waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: /current/ }).waitFor();
    await page.screenshot({ path: join(OUTPUT, 'certificate-detail.png'), fullPage: true });
    await page.getByRole('button', { name: 'Revoke…' }).click();
    await page.getByRole('dialog').getByLabel('Reason').selectOption('keyCompromise');
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke certificate' }).click();
    await status.getByText('revoked').waitFor();
    await page.getByText('Certificate revoked.').waitFor();
    const cert = (await api('GET', '/api/v1/certificates?per_page=100')).data?.find((c) => c.name === 'shop-frontend');
    expect(cert).toMatchObject({
      status: 'revoked',
      revocation_reason: 'keyCompromise',
      issuer_id: expect.any(String),
    });
  });

  it('enforces the two-person rule: the requester cannot approve, a second user can', async () => {
    await logout();
    await login(KEYS.alice);
    await open('/jobs', 'Jobs & approvals');
    await page.getByRole('link', { name: seeded.approvalCertificate }).first().waitFor();
    await page.getByRole('button', { name: 'Approve' }).first().click();
    await page
      .getByRole('alert')
      .getByText(/two-person/)
      .waitFor();
    await logout();
    await login(KEYS.bob);
    await open('/jobs', 'Jobs & approvals');
    await page.getByLabel('Note').first().fill('checked with the payments team');
    await page.getByRole('button', { name: 'Approve' }).first().click();
    await page.getByText(/approved\.$/).waitFor();
    const approvals = await api('GET', '/api/v1/approvals?state=approved');
    expect(approvals.data?.find((a) => a.certificate_id === seeded.approvalCertificate)).toMatchObject({
      requested_by: 'alice',
      decided_by: 'bob',
      note: 'checked with the payments team',
    });
  });

  it('claims a discovered certificate for a managed one', async () => {
    await open('/discovery', 'Discovery');
    await page.getByRole('button', { name: `Claim ${seeded.discoveredCn}` }).click();
    await page
      .getByRole('dialog')
      .getByLabel('Managed certificate')
      .selectOption({ label: 'intranet (intranet.example.com)' });
    await page.getByRole('dialog').getByRole('button', { name: 'Claim' }).click();
    await page.getByText(`${seeded.discoveredCn} is now tracked as`).waitFor();
    const found = await api('GET', '/api/v1/discovered-certificates?status=managed');
    expect(found.data?.find((d) => d.common_name === seeded.discoveredCn)).toMatchObject({ status: 'managed' });
    expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
  });
});

function navLabel(path: string): string {
  const labels: Record<string, string> = {
    '/': 'Overview',
    '/certificates': 'Certificates',
    '/jobs': 'Jobs & approvals',
    '/agents': 'Agents',
    '/issuers': 'Issuers',
    '/targets': 'Targets',
    '/discovery': 'Discovery',
    '/notifications': 'Notifications',
    '/profiles': 'Profiles & policies',
    '/protocols': 'ACME, EST, SCEP',
    '/audit': 'Audit trail',
  };
  return labels[path] ?? path;
}
