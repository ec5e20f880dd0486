// The server, the agent and the CLI installed the way an operator without the monorepo would:
// `npm install` of the tarballs into an empty directory, `--version`, then a real start on a
// temporary data dir, one agent cycle against it, and `certctl version` / `certctl status` through
// `npm exec` against it.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * @param {{ projectDir: string, tarballs: Map<string, string>, versions: Map<string, string> }} options
 * @returns {Promise<string[]>} problems
 */
export async function checkOperatorInstall({ projectDir, tarballs, versions }) {
  const problems = [];
  mkdirSync(projectDir, { recursive: true });
  const apps = ['@certctl/server', '@certctl/agent', '@certctl/cli'].filter((name) => tarballs.has(name));
  // The apps are what the operator installs; their @certctl dependencies come from the tarballs too
  // (overrides), as they would from the registry once published.
  const dependencies = Object.fromEntries(apps.map((name) => [name, `file:${tarballs.get(name)}`]));
  const overrides = Object.fromEntries(
    [...tarballs].filter(([name]) => !apps.includes(name)).map(([name, path]) => [name, `file:${path}`]),
  );
  writeFileSync(
    join(projectDir, 'package.json'),
    JSON.stringify({ name: 'certctl-operator', private: true, dependencies, overrides }, null, 2),
  );
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: projectDir,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    return [`npm install of ${apps.join(', ')} failed:\n${tail(error)}`];
  }
  const bin = (name) => join(projectDir, 'node_modules/.bin', name);
  for (const [name, pkg] of [
    ['certctl-server', '@certctl/server'],
    ['certctl-agent', '@certctl/agent'],
  ]) {
    try {
      const { stdout } = await run(bin(name), ['--version'], { cwd: projectDir });
      if (!stdout.includes(versions.get(pkg)))
        problems.push(`${name} --version printed "${stdout.trim()}", expected ${versions.get(pkg)}`);
    } catch (error) {
      problems.push(`${name} --version failed:\n${tail(error)}`);
    }
  }
  const dataDir = join(projectDir, 'data');
  const [apiPort, pkiPort] = [await freePort(), await freePort()];
  const token = randomBytes(18).toString('hex');
  const viewerKey = randomBytes(18).toString('hex');
  const server = spawn(bin('certctl-server'), [], {
    cwd: projectDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CERTCTL_DATA_DIR: dataDir,
      CERTCTL_SERVER_HOST: '127.0.0.1',
      CERTCTL_SERVER_PORT: String(apiPort),
      CERTCTL_PKI_HTTP_PORT: String(pkiPort),
      CERTCTL_AGENT_BOOTSTRAP_TOKEN: token,
      CERTCTL_API_KEYS_NAMED: `release-check:${viewerKey}:viewer`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const ca = await waitFor(
      () => readFileSync(join(dataDir, 'tls/ca.pem'), 'utf8'),
      exited,
      () => output,
    );
    const health = await waitFor(
      () => getJson(`https://127.0.0.1:${apiPort}/health`, ca),
      exited,
      () => output,
    );
    if (health.status !== 200) problems.push(`server /health answered ${health.status}`);
    try {
      await run(bin('certctl-agent'), ['--once'], {
        cwd: projectDir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          CERTCTL_SERVER_URL: `https://127.0.0.1:${apiPort}`,
          CERTCTL_SERVER_CA_FILE: join(dataDir, 'tls/ca.pem'),
          CERTCTL_AGENT_BOOTSTRAP_TOKEN: token,
          CERTCTL_AGENT_STATE_DIR: join(projectDir, 'agent-state'),
          CERTCTL_KEY_DIR: join(projectDir, 'agent-keys'),
        },
        timeout: 60_000,
      });
    } catch (error) {
      problems.push(`certctl-agent --once against the installed server failed:\n${tail(error)}`);
    }
    if (apps.includes('@certctl/cli'))
      problems.push(
        ...(await checkCli({
          projectDir,
          version: versions.get('@certctl/cli'),
          serverVersion: versions.get('@certctl/server'),
          env: {
            PATH: process.env.PATH,
            HOME: projectDir,
            XDG_CONFIG_HOME: projectDir,
            CERTCTL_SERVER_URL: `https://127.0.0.1:${apiPort}`,
            CERTCTL_CA_BUNDLE: join(dataDir, 'tls/ca.pem'),
            CERTCTL_API_KEY: viewerKey,
          },
        })),
      );
  } catch (error) {
    problems.push(`the installed server did not start: ${error.message}\n${output.split('\n').slice(-20).join('\n')}`);
  } finally {
    server.kill('SIGTERM');
    const { code, signal } = await Promise.race([exited, sleep(30_000).then(() => ({ code: 'timeout' }))]);
    if (code !== 0 && !problems.length)
      problems.push(`the server did not stop cleanly on SIGTERM (exit ${code ?? signal})`);
    if (code === 'timeout') server.kill('SIGKILL');
  }
  return problems;
}

/** `npm exec certctl` from the operator directory (the installed CLI tarball): version, then status. */
async function checkCli({ projectDir, version, serverVersion, env }) {
  const problems = [];
  const certctl = (args) =>
    run('npm', ['exec', '--offline', '--', 'certctl', '-o', 'json', ...args], {
      cwd: projectDir,
      env,
      timeout: 60_000,
    });
  try {
    const { stdout } = await certctl(['version']);
    const printed = JSON.parse(stdout);
    if (printed.cli !== version) problems.push(`certctl version printed cli "${printed.cli}", expected ${version}`);
    if (typeof printed.server?.version !== 'string')
      problems.push(`certctl version printed no server version: ${stdout.trim()}`);
  } catch (error) {
    problems.push(`npm exec certctl version against the installed server failed:\n${tail(error)}`);
  }
  try {
    const { stdout } = await certctl(['status']);
    const printed = JSON.parse(stdout);
    if (printed.health !== 'healthy' || printed.version !== serverVersion)
      problems.push(`certctl status printed ${stdout.trim()}, expected health "healthy" and version ${serverVersion}`);
  } catch (error) {
    problems.push(`npm exec certctl status against the installed server failed:\n${tail(error)}`);
  }
  return problems;
}

function tail(error) {
  return `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n') || error.message;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(probe, exited, output, timeoutMs = 90_000) {
  let gone;
  exited.then((result) => {
    gone = result;
  });
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the server exited (${gone.code ?? gone.signal})`);
    try {
      return await probe();
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out: ${last?.message ?? 'no answer'}\n${output().slice(-2000)}`);
}

function getJson(url, ca) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
