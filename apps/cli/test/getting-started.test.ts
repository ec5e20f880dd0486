import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { call, describeEachDialect, KEYS, startTestServer, type TestServer } from '@certctl/server/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCertctl } from './cli-support.js';

/** The sh block of docs/getting-started.md's CLI section, line by line. */
function cliLines(): string[] {
  const doc = readFileSync(new URL('../../../docs/getting-started.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## The same with the certctl CLI'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').filter((line) => line.trim() !== '');
}

/** Expands `$NAME` from the variables, the only shell syntax the section uses besides `export` and `>`. */
const expand = (text: string, vars: Record<string, string>) =>
  text.replace(/\$([A-Z_]+)/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`the doc uses $${name}, which the test does not set`);
    return vars[name]!;
  });

describeEachDialect('the getting-started CLI lines, run verbatim', (ctx) => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-gs-cli-'));
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, installed: true, listen: true, scheduler: true });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('issues, exports, revokes and audits a certificate with certctl', async () => {
    const team = await call(server.api, 'POST', '/api/v1/teams', { name: 'platform' });
    const owner = await call(server.api, 'POST', '/api/v1/owners', { name: 'Alice', email: 'alice@example.com' });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: 'standard',
      renewal_window_days: 30,
    });
    writeFileSync(join(work, 'ca.pem'), server.tls.caPem!);
    const vars: Record<string, string> = {
      PWD: work,
      CERTCTL_KEY: KEYS.admin,
      TEAM: String(team.json.id),
      OWNER: String(owner.json.id),
      POLICY: String(policy.json.id),
    };
    const env: Record<string, string> = { XDG_CONFIG_HOME: work };
    const lines = cliLines();
    expect(lines.filter((line) => line.startsWith('certctl ')).length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      const exported = /^export ([A-Z_]+)=(.*)$/.exec(line);
      if (exported) {
        // The doc's server and CA file are the ones `npm start` makes; here, the test server's.
        const value = expand(exported[2]!, vars);
        env[exported[1]!] =
          exported[1] === 'CERTCTL_SERVER_URL'
            ? server.urls.api!
            : exported[1] === 'CERTCTL_CA_BUNDLE'
              ? join(work, 'ca.pem')
              : value;
        expect(value).toMatch(/\S/);
        continue;
      }
      expect(line.startsWith('certctl '), line).toBe(true);
      const [command, redirect] = line.slice('certctl '.length).split(' > ');
      const args = expand(command!, vars).split(/\s+/).filter(Boolean);
      const run = await runCertctl(
        args.map((arg) => (arg.endsWith('.key') ? join(work, arg) : arg)),
        env,
      );
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      if (redirect) writeFileSync(join(work, redirect.trim()), run.stdout);
    }
    const pem = readFileSync(join(work, 'app-cli.pem'), 'utf8');
    expect(parseCertificate(pem).subjectCommonName).toBe('app.example.com');
    expect(readFileSync(join(work, 'app-cli.key'), 'utf8')).toContain('PRIVATE KEY');
    const cert = await call(server.api, 'GET', '/api/v1/certificates/app-cli');
    expect(cert.json.status).toBe('revoked');
  });
});
