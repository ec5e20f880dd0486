import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from '@certctl/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentConfig } from '../src/agent-config.js';
import { BOOTSTRAP_TOKEN, type ControlPlane, startControlPlane, waitFor } from './support/control-plane.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
let plane: ControlPlane;

beforeAll(async () => {
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane?.stop();
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

/** certctl-agent from its TypeScript sources, as a real process with only the given environment. */
function runAgent(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--conditions=@certctl/source', '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d) => (run.stdout += d));
  child.stderr?.on('data', (d) => (run.stderr += d));
  return run;
}

const envFor = (stateDir: string, extra: Record<string, string> = {}) => ({
  CERTCTL_SERVER_URL: plane.door.url,
  CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
  CERTCTL_SERVER_CA_FILE: plane.caFile,
  CERTCTL_AGENT_STATE_DIR: stateDir,
  CERTCTL_AGENT_NAME: `cli-${Math.random().toString(36).slice(2, 8)}`,
  CERTCTL_BACKOFF_BASE_SECONDS: '0.05',
  CERTCTL_BACKOFF_MAX_SECONDS: '0.2',
  ...extra,
});

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; level: number });

describe('agent configuration', () => {
  it('names the variable that is missing or malformed', () => {
    const base = { CERTCTL_SERVER_URL: 'https://certctl.example.com:8443' };
    expect(() => loadAgentConfig({})).toThrow(/^CERTCTL_SERVER_URL is required/);
    expect(() => loadAgentConfig({ CERTCTL_SERVER_URL: 'http://certctl.example.com' })).toThrow(
      /^CERTCTL_SERVER_URL must be an https:\/\/ URL/,
    );
    expect(() => loadAgentConfig({ ...base, CERTCTL_POLL_INTERVAL_SECONDS: 'soon' })).toThrow(
      /^CERTCTL_POLL_INTERVAL_SECONDS/,
    );
    expect(() => loadAgentConfig({ ...base, CERTCTL_DISCOVERY_DIRS: '/etc/ssl,relative/dir' })).toThrow(
      /^CERTCTL_DISCOVERY_DIRS must be an absolute path/,
    );
    expect(() => loadAgentConfig({ ...base, CERTCTL_AGENT_BOOTSTRAP_TOKEN: 'short' })).toThrow(AgentConfigError);
    const config = loadAgentConfig({
      ...base,
      CERTCTL_AGENT_STATE_DIR: '/srv/agent',
      CERTCTL_DISCOVERY_DIRS: '/etc/ssl, /etc/nginx',
    });
    expect(config).toMatchObject({
      keyDir: '/srv/agent/keys',
      discoveryDirs: ['/etc/ssl', '/etc/nginx'],
      pollIntervalMs: 30_000,
      heartbeatIntervalMs: 60_000,
    });
  });

  it('reads the reference verification and backup variables', () => {
    const base = { CERTCTL_SERVER_URL: 'https://certctl.example.com:8443' };
    expect(loadAgentConfig(base)).toMatchObject({
      verifyDeployment: true,
      verifyTimeoutMs: 10_000,
      verifyDelayMs: 0,
      deployBackupRetention: undefined,
    });
    expect(
      loadAgentConfig({
        ...base,
        CERTCTL_VERIFY_DEPLOYMENT: 'false',
        CERTCTL_VERIFY_TIMEOUT: '1m30s',
        CERTCTL_VERIFY_DELAY: '2s',
        CERTCTL_DEPLOY_BACKUP_RETENTION: '5',
      }),
    ).toMatchObject({
      verifyDeployment: false,
      verifyTimeoutMs: 90_000,
      verifyDelayMs: 2000,
      deployBackupRetention: 5,
    });
    expect(() => loadAgentConfig({ ...base, CERTCTL_VERIFY_DELAY: 'soon' })).toThrow(/^CERTCTL_VERIFY_DELAY/);
    expect(() => loadAgentConfig({ ...base, CERTCTL_VERIFY_DEPLOYMENT: 'maybe' })).toThrow(
      /^CERTCTL_VERIFY_DEPLOYMENT/,
    );
    expect(() => loadAgentConfig({ ...base, CERTCTL_DEPLOY_BACKUP_RETENTION: '-1' })).toThrow(
      /^CERTCTL_DEPLOY_BACKUP_RETENTION/,
    );
    expect(() =>
      loadAgentConfig({ ...base, CERTCTL_VERIFY_TIMEOUT: '5s', CERTCTL_VERIFY_TIMEOUT_SECONDS: '5' }),
    ).toThrow(/both set/);
  });

  it('stops at start with one line naming the variable', async () => {
    const run = runAgent(['--once'], { CERTCTL_SERVER_URL: 'ftp://nowhere' });
    expect(await run.exit).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'certctl-agent: CERTCTL_SERVER_URL must be an https:// URL (the agent never talks to the server in clear text)',
    ]);
  });
});

describe('certctl-agent process', () => {
  it('--once registers, heartbeats, polls, exits 0, and logs JSON', async () => {
    const stateDir = join(mkdtempSync(join(plane.tmp, 'once-')), 'state');
    const run = runAgent(['--once'], envFor(stateDir));
    expect(await run.exit).toBe(0);
    const lines = jsonLines(run.stderr);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['certctl-agent starting', 'registered with the server', 'cycle complete']),
    );
    expect(run.stderr).not.toContain(BOOTSTRAP_TOKEN);
    const { agent_id, api_key } = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8'));
    expect(run.stderr).not.toContain(api_key);
    expect((await call(plane.server.api, 'GET', `/api/v1/agents/${agent_id}`)).json.status).toBe('online');
  }, 30_000);

  it('a bootstrap token the server refuses stops the agent with exit 1 and a clear line', async () => {
    const stateDir = join(mkdtempSync(join(plane.tmp, 'badtoken-')), 'state');
    const run = runAgent([], envFor(stateDir, { CERTCTL_AGENT_BOOTSTRAP_TOKEN: 'wrong-token-0123456789abcdef' }));
    expect(await run.exit).toBe(1);
    const last = jsonLines(run.stderr).at(-1) as { msg?: string; error?: string };
    expect(last.error).toMatch(/refused the registration: .*401.*CERTCTL_AGENT_BOOTSTRAP_TOKEN/);
    expect(run.stderr).not.toContain('wrong-token-0123456789abcdef');
  }, 30_000);

  it('--once exits 1 after bounded retries when the server stays down', async () => {
    const stateDir = join(mkdtempSync(join(plane.tmp, 'once-down-')), 'state');
    await plane.door.down();
    try {
      const started = Date.now();
      const run = runAgent(['--once'], envFor(stateDir));
      expect(await run.exit).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(jsonLines(run.stderr).filter((l) => l.msg === 'cycle failed; retrying')).toHaveLength(4);
      expect(existsSync(join(stateDir, 'identity.json'))).toBe(false);
    } finally {
      await plane.door.up();
    }
  }, 30_000);

  it.each([
    ['polling', false],
    ['backing off from a server that is down', true],
  ])(
    'SIGTERM while %s stops cleanly with exit 0',
    async (_what, down) => {
      const stateDir = join(mkdtempSync(join(plane.tmp, 'sigterm-')), 'state');
      const run = runAgent(
        [],
        envFor(stateDir, {
          CERTCTL_POLL_INTERVAL_SECONDS: '0.2',
          CERTCTL_BACKOFF_MAX_SECONDS: '30',
          CERTCTL_BACKOFF_BASE_SECONDS: '20',
        }),
      );
      try {
        await waitFor('registration', async () => existsSync(join(stateDir, 'identity.json')), 20_000);
        if (down) {
          await plane.door.down();
          await waitFor('a failed cycle', async () => run.stderr.includes('backing off'), 20_000);
        }
        const signalled = Date.now();
        run.child.kill('SIGTERM');
        expect(await run.exit).toBe(0);
        expect(Date.now() - signalled).toBeLessThan(5_000);
        expect(jsonLines(run.stderr).map((l) => l.msg)).toEqual(
          expect.arrayContaining(['stopping: finishing the job in hand, taking no new work', 'agent stopped']),
        );
      } finally {
        run.child.kill('SIGKILL');
        await plane.door.up();
      }
    },
    40_000,
  );
});
