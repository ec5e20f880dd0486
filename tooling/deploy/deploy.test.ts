// What the deploy/ files promise, checked with the tools this machine has (docs/deployment.md says
// which ran and which could not): the images' stages reproduced into a temporary root and started
// as their non-root user on a read-only view of it, the Dockerfiles linted, the compose file through
// docker-compose's own validation, the systemd units through systemd-analyze, the Helm chart
// rendered by Go's text/template and its manifests checked against Kubernetes' schemas.
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { packTarballs } from '../../deploy/docker/pack-tarballs.mjs';
import { ensurePostgres } from '../services/index.mjs';
import { parseDockerfile, stageEnv } from './dockerfile.mjs';
import { renderChart } from './helm-render.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const deployDir = join(root, 'deploy');
const chartDir = join(deployDir, 'helm/certctl');
const IMAGE_UID = 10001;
const isRoot = process.getuid?.() === 0;

type Stages = ReturnType<typeof parseDockerfile>;
const dockerfiles = Object.fromEntries(
  (['server', 'agent'] as const).map((app) => [
    app,
    parseDockerfile(readFileSync(join(deployDir, `docker/${app}.Dockerfile`), 'utf8')),
  ]),
) as Record<'server' | 'agent', Stages>;

function stage(stages: Stages, name: string) {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage named ${name}`);
  return found;
}

function runLines(stages: Stages, name: string): string[] {
  return stage(stages, name)
    .instructions.filter((i) => i.keyword === 'RUN')
    .map((i) => i.value);
}

/** The words after `script` in the stage's RUN line, with the stage's ARG defaults substituted. */
function scriptArguments(stages: Stages, stageName: string, script: string): string[] {
  const line = runLines(stages, stageName).find((l) => l.includes(script));
  if (!line) throw new Error(`stage ${stageName} does not run ${script}`);
  const args = stage(stages, stageName).args;
  const words = line
    .slice(line.indexOf(script) + script.length)
    .split('&&')[0]!
    .trim()
    .split(/\s+/);
  return words.flatMap((word) => {
    const arg = /^\$\{?(\w+)\}?$/.exec(word)?.[1];
    if (!arg) return [word];
    if (!args.has(arg)) throw new Error(`${word} is not an ARG of stage ${stageName}`);
    return args.get(arg)!.split(/\s+/).filter(Boolean);
  });
}

describe("Dockerfiles (lint: dockerfile-utils, the VS Code Docker extension's linter, plus our own rules)", () => {
  it('dockerfile-utils finds nothing wrong in either Dockerfile, and does find a broken one', () => {
    for (const app of ['server', 'agent']) {
      const diagnostics = lintDockerfile(readFileSync(join(deployDir, `docker/${app}.Dockerfile`), 'utf8'));
      expect(diagnostics.map((d) => `${app}.Dockerfile:${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    }
    const broken = lintDockerfile('FROM node:20\nHEALTHCHECK --bogus=1 CMD true\nEXPOSE https\n');
    expect(broken.map((d) => d.message)).toEqual(['Unknown flag: bogus', 'Invalid containerPort: https']);
  });

  for (const app of ['server', 'agent'] as const) {
    it(`${app}.Dockerfile: pinned node base, pack/install/runtime stages, non-root, volume, healthcheck`, () => {
      const stages = dockerfiles[app];
      const nodeVersion = stages.globalArgs.get('NODE_VERSION');
      expect(nodeVersion, 'NODE_VERSION is a full x.y.z version').toMatch(/^\d+\.\d+\.\d+$/);
      expect(stages.map((s) => s.name)).toEqual(['pack', 'install', 'runtime']);
      for (const s of stages) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm(-slim)?$/);
      expect(stage(stages, 'runtime').from, 'the runtime is the slim image').toMatch(/-slim$/);

      const runtime = stages.at(-1)!;
      const keywords = runtime.instructions.map((i) => i.keyword);
      const value = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.value);
      expect(value('USER')).toEqual([`${IMAGE_UID}:${IMAGE_UID}`]);
      expect(keywords.lastIndexOf('USER')).toBeGreaterThan(keywords.lastIndexOf('RUN'));
      expect(value('HEALTHCHECK')).toHaveLength(1);
      expect(value('HEALTHCHECK')[0]).toContain(`CMD ["node", "/opt/certctl/healthcheck.mjs", "${app}"]`);
      expect(value('ENTRYPOINT')).toEqual([`["certctl-${app}"]`]);
      const dataDir = app === 'server' ? '/var/lib/certctl' : '/var/lib/certctl-agent';
      expect(value('VOLUME')).toEqual([`["${dataDir}"]`]);
      const env = stageEnv(runtime);
      expect(env[app === 'server' ? 'CERTCTL_DATA_DIR' : 'CERTCTL_AGENT_STATE_DIR']).toBe(dataDir);
      if (app === 'server') expect(env.CERTCTL_SERVER_HOST).toBe('0.0.0.0');
      // Nothing fetched from the network in the runtime stage and no package manager left running.
      expect(runtime.instructions.filter((i) => i.keyword === 'ADD')).toEqual([]);
      for (const line of runLines(stages, 'runtime')) expect(line).not.toMatch(/\b(npm|pnpm|apt-get|curl|wget)\b/);
      // The build context files the stages copy exist.
      for (const s of stages) {
        for (const { value: copy } of s.instructions.filter(
          (i) => i.keyword === 'COPY' && !i.value.startsWith('--from'),
        )) {
          const sources = copy.split(/\s+/).slice(0, -1);
          for (const source of sources) if (source !== '.') expect(existsSync(join(root, source)), source).toBe(true);
        }
      }
      // The stages run the scripts this test runs.
      expect(scriptArguments(stages, 'pack', 'deploy/docker/pack-tarballs.mjs').slice(0, 3)).toEqual([
        '--out',
        '/tarballs',
        `@certctl/${app}`,
      ]);
      expect(scriptArguments(stages, 'install', '/build/build-rootfs.sh').slice(0, 3)).toEqual([
        app,
        '/tarballs',
        '/opt/certctl',
      ]);
    });
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command the way the image would: as uid/gid 10001 with the installed tree mounted
 * read-only (a private mount namespace with a read-only bind mount of `imageRoot`). Needs root;
 * without it the command runs as the current user on a tree made unwritable with chmod.
 */
function imageCommand(imageRoot: string, command: string, args: string[]): [string, string[]] {
  if (!isRoot) return [command, args];
  const script =
    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec setpriv --reuid=10001 --regid=10001 --clear-groups -- "$@"';
  return [
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'image', imageRoot, command, ...args],
  ];
}

function ownedByImageUser(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  mkdirSync(path, { mode: 0o700 });
  if (isRoot) chownSync(path, IMAGE_UID, IMAGE_UID);
  return path;
}

describe('image contents, built with the Dockerfiles own steps', () => {
  let work: string;
  const roots: Record<string, string> = {};
  const installLog: Record<string, string> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'certctl-images-'));
    chmodSync(work, 0o755);
    const installArgs = {
      server: scriptArguments(dockerfiles.server, 'install', '/build/build-rootfs.sh'),
      agent: scriptArguments(dockerfiles.agent, 'install', '/build/build-rootfs.sh'),
    };
    // One pack for both images (the pack stages pack the same way, each for its own app).
    const packages = new Set<string>();
    for (const app of ['server', 'agent'] as const) {
      for (const word of scriptArguments(dockerfiles[app], 'pack', 'deploy/docker/pack-tarballs.mjs').slice(2)) {
        packages.add(word);
      }
    }
    const tarballs = join(work, 'tarballs');
    packTarballs({ out: tarballs, packages: [...packages] });
    for (const app of ['server', 'agent'] as const) {
      roots[app] = join(work, `${app}-root/opt/certctl`);
      const args = installArgs[app].map((word) =>
        word === '/tarballs' ? tarballs : word === '/opt/certctl' ? roots[app]! : word,
      );
      const { stdout } = await run('sh', [join(deployDir, 'docker/build-rootfs.sh'), ...args], {
        maxBuffer: 16 * 1024 * 1024,
      });
      installLog[app] = stdout;
      execFileSync('chmod', ['-R', 'a+rX,go-w', dirname(dirname(roots[app]!))]);
      if (!isRoot) execFileSync('chmod', ['-R', 'a-w', roots[app]!]);
    }
  }, 900_000);

  afterAll(() => {
    if (!work) return;
    if (!isRoot) execFileSync('chmod', ['-R', 'u+w', work]);
    rmSync(work, { recursive: true, force: true });
  });

  it('installs only the app, its @certctl packages and chosen connectors, from the tarballs, without dev dependencies', () => {
    for (const app of ['server', 'agent'] as const) {
      expect(installLog[app]).toMatch(new RegExp(`certctl-${app} \\d+\\.\\d+\\.\\d+`));
      const manifest = JSON.parse(readFileSync(join(roots[app]!, 'package.json'), 'utf8'));
      expect(Object.keys(manifest.dependencies)[0]).toBe(`@certctl/${app}`);
      for (const spec of Object.values<string>({ ...manifest.dependencies, ...manifest.overrides })) {
        expect(spec).toMatch(/^file:.*\.tgz$/);
      }
      expect(existsSync(join(roots[app]!, 'node_modules/vitest'))).toBe(false);
      expect(existsSync(join(roots[app]!, 'node_modules/typescript'))).toBe(false);
      expect(existsSync(join(roots[app]!, 'healthcheck.mjs'))).toBe(true);
    }
    for (const connector of scriptArguments(dockerfiles.agent, 'install', '/build/build-rootfs.sh').slice(3)) {
      expect(existsSync(join(roots.agent!, 'node_modules', connector, 'package.json')), connector).toBe(true);
    }
  });

  it('server and agent run as uid 10001 on a read-only tree; HEALTHCHECK passes once up (server) and registered (agent)', async () => {
    const dataDir = ownedByImageUser(join(work, 'volumes/server-data'));
    const tmp = ownedByImageUser(join(work, 'volumes/server-tmp'));
    const [apiPort, pkiPort] = [await freePort(), await freePort()];
    const imageEnv = stageEnv(stage(dockerfiles.server, 'runtime'));
    const env = {
      ...imageEnv,
      PATH: imageEnv.PATH!.replace('/opt/certctl', roots.server!).replace('$PATH', process.env.PATH ?? '/usr/bin:/bin'),
      HOME: dataDir,
      TMPDIR: tmp,
      CERTCTL_DATA_DIR: dataDir,
      CERTCTL_SERVER_HOST: '127.0.0.1',
      CERTCTL_SERVER_PORT: String(apiPort),
      CERTCTL_PKI_HTTP_PORT: String(pkiPort),
      CERTCTL_AGENT_BOOTSTRAP_TOKEN: 'image-test-bootstrap-token-0123456789',
    };
    const healthcheck = (app: 'server' | 'agent', extraEnv: Record<string, string>) => {
      const [command, args] = imageCommand(roots[app]!, 'node', [join(roots[app]!, 'healthcheck.mjs'), app]);
      return run(command, args, { env: { ...env, ...extraEnv } }).then(
        () => 0,
        (error) => (error.code as number) ?? 1,
      );
    };
    const [command, args] = imageCommand(roots.server!, 'certctl-server', []);
    const server = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (chunk) => (output += chunk));
    server.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    try {
      expect(await healthcheck('server', {}), 'unhealthy before the server listens').toBe(1);
      let healthy = 1;
      for (let attempt = 0; attempt < 240 && healthy !== 0 && !gone; attempt++) {
        healthy = await healthcheck('server', {});
        if (healthy !== 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(healthy, `server never became healthy:\n${output.slice(-3000)}`).toBe(0);
      // The tree the image user runs from is not writable by it (read-only as in the image).
      const [touch, touchArgs] = imageCommand(roots.server!, 'touch', [join(roots.server!, 'written-at-run-time')]);
      const write = await run(touch, touchArgs).catch((error) => error);
      expect(write.stderr).toMatch(/Read-only file system|Permission denied/);
      // Everything it wrote is in the volume, owned by the image user.
      const caPem = join(dataDir, 'tls/ca.pem');
      expect(existsSync(caPem)).toBe(true);
      if (isRoot)
        expect(execFileSync('stat', ['-c', '%u', caPem], { encoding: 'utf8' }).trim()).toBe(String(IMAGE_UID));

      const agentState = ownedByImageUser(join(work, 'volumes/agent-state'));
      const agentTmp = ownedByImageUser(join(work, 'volumes/agent-tmp'));
      const agentImageEnv = stageEnv(stage(dockerfiles.agent, 'runtime'));
      const agentEnv = {
        ...agentImageEnv,
        PATH: agentImageEnv
          .PATH!.replace('/opt/certctl', roots.agent!)
          .replace('$PATH', process.env.PATH ?? '/usr/bin:/bin'),
        HOME: agentState,
        TMPDIR: agentTmp,
        CERTCTL_AGENT_STATE_DIR: agentState,
        CERTCTL_SERVER_URL: `https://127.0.0.1:${apiPort}`,
        CERTCTL_SERVER_CA_FILE: caPem,
        CERTCTL_AGENT_BOOTSTRAP_TOKEN: env.CERTCTL_AGENT_BOOTSTRAP_TOKEN,
      };
      expect(await healthcheck('agent', agentEnv), 'unhealthy before it registered').toBe(1);
      const [agentCommand, agentArgs] = imageCommand(roots.agent!, 'certctl-agent', ['--once']);
      const agentRun = await run(agentCommand, agentArgs, { env: agentEnv, timeout: 120_000 }).catch((error) => error);
      expect(agentRun.code ?? 0, `certctl-agent --once failed:\n${agentRun.stdout}${agentRun.stderr}`).toBe(0);
      expect(await healthcheck('agent', agentEnv)).toBe(0);
    } finally {
      server.kill('SIGTERM');
      const code = await exited;
      expect(code, `the server did not stop cleanly on SIGTERM:\n${output.slice(-2000)}`).toBe(0);
    }
  }, 300_000);

  it('two server replicas from the image tree share one PostgreSQL (the compose and Helm setup): both healthy and ready', async () => {
    const adminUrl = await ensurePostgres();
    const database = `certctl_images_${process.pid}_${Date.now()}`;
    await run('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${database}`]);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const imageEnv = stageEnv(stage(dockerfiles.server, 'runtime'));
    const replicas = [];
    try {
      for (const name of ['a', 'b']) {
        const dataDir = ownedByImageUser(join(work, `volumes/replica-${name}-data`));
        const tmp = ownedByImageUser(join(work, `volumes/replica-${name}-tmp`));
        const env = {
          ...imageEnv,
          PATH: imageEnv
            .PATH!.replace('/opt/certctl', roots.server!)
            .replace('$PATH', process.env.PATH ?? '/usr/bin:/bin'),
          HOME: dataDir,
          TMPDIR: tmp,
          CERTCTL_DATA_DIR: dataDir,
          CERTCTL_SERVER_HOST: '127.0.0.1',
          CERTCTL_SERVER_PORT: String(await freePort()),
          CERTCTL_PKI_HTTP_PORT: String(await freePort()),
          CERTCTL_DATABASE_URL: url.toString(),
          CERTCTL_CONFIG_ENCRYPTION_KEY: 'image-test-config-encryption-key-0123456789abcdef',
        };
        const [command, args] = imageCommand(roots.server!, 'certctl-server', []);
        const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        const replica = { env, child, output: '', exited: new Promise<number | null>((r) => child.once('exit', r)) };
        child.stdout.on('data', (chunk) => (replica.output += chunk));
        child.stderr.on('data', (chunk) => (replica.output += chunk));
        replicas.push(replica);
      }
      for (const replica of replicas) {
        const [command, args] = imageCommand(roots.server!, 'node', [join(roots.server!, 'healthcheck.mjs'), 'server']);
        let healthy = false;
        for (let attempt = 0; attempt < 240 && !healthy && replica.child.exitCode === null; attempt++) {
          healthy = await run(command, args, { env: replica.env }).then(
            () => true,
            () => false,
          );
          if (!healthy) await new Promise((r) => setTimeout(r, 500));
        }
        expect(healthy, `replica never became healthy:\n${replica.output.slice(-3000)}`).toBe(true);
        const ready = await fetchStatus(`https://127.0.0.1:${replica.env.CERTCTL_SERVER_PORT}/ready`);
        expect(ready, '/ready: the database answers').toBe(200);
      }
    } finally {
      for (const replica of replicas) replica.child.kill('SIGTERM');
      const codes = await Promise.all(replicas.map((r) => r.exited));
      await run('psql', [adminUrl, '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]).catch(() => undefined);
      expect(codes, replicas.map((r) => r.output.slice(-1500)).join('\n----\n')).toEqual(replicas.map(() => 0));
    }
  }, 300_000);
});

function fetchStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('compose file (docker-compose config: its own schema and interpolation, no daemon)', () => {
  const composeFile = join(deployDir, 'compose/compose.yaml');

  it('is valid and runs the server and agent read-only as uid 10001, on PostgreSQL, with the demo nginx', async () => {
    const { stdout } = await run('docker-compose', [
      '--env-file',
      join(deployDir, 'compose/example.env'),
      '-f',
      composeFile,
      'config',
    ]);
    const config = parseYaml(stdout);
    expect(Object.keys(config.services).sort()).toEqual(['agent', 'nginx', 'postgres', 'server']);
    for (const app of ['server', 'agent']) {
      const service = config.services[app];
      expect(service.read_only).toBe(true);
      expect(service.user).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
      expect(service.cap_drop).toEqual(['ALL']);
      expect(service.tmpfs).toEqual(['/tmp']);
      expect(service.build.dockerfile).toBe(`deploy/docker/${app}.Dockerfile`);
      expect(existsSync(join(service.build.context, service.build.dockerfile))).toBe(true);
    }
    expect(config.services.server.environment.CERTCTL_DATABASE_URL).toMatch(
      /^postgres:\/\/certctl:.+@postgres:5432\/certctl$/,
    );
    expect(config.services.server.depends_on.postgres.condition).toBe('service_healthy');
    expect(config.services.agent.depends_on.server.condition).toBe('service_healthy');
    for (const image of [config.services.postgres.image, config.services.nginx.image]) {
      expect(image).toMatch(/:\d+\.\d+(\.\d+)?-bookworm$/);
    }
  });

  it('refuses to start without the secrets, naming the missing one', async () => {
    const failure = await run('docker-compose', ['-f', composeFile, 'config'], { cwd: tmpdir() }).catch((e) => e);
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toContain('set POSTGRES_PASSWORD in .env');
  });
});

describe('systemd units (systemd-analyze verify on a scratch root)', () => {
  let sdRoot: string;
  beforeAll(() => {
    sdRoot = mkdtempSync(join(tmpdir(), 'certctl-systemd-'));
    // verify --root needs the system's own units (sysinit.target, ...) and the ExecStart binaries.
    cpSync('/usr/lib/systemd/system', join(sdRoot, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(sdRoot, 'etc/systemd/system'), { recursive: true });
  });
  afterAll(() => rmSync(sdRoot, { recursive: true, force: true }));

  async function verify(name: string, text: string) {
    writeFileSync(join(sdRoot, 'etc/systemd/system', name), text);
    const execStart = /^ExecStart=(\S+)/m.exec(text)?.[1];
    if (execStart) {
      mkdirSync(join(sdRoot, dirname(execStart)), { recursive: true });
      writeFileSync(join(sdRoot, execStart), '#!/bin/sh\n', { mode: 0o755 });
    }
    return run('systemd-analyze', ['verify', '--man=no', `--root=${sdRoot}`, name]).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error) => ({ code: error.code, stderr: error.stderr as string }),
    );
  }

  for (const [name, path] of [
    ['certctl-server.service', 'deploy/systemd/certctl-server.service'],
    ['certctl-agent.service', 'apps/agent/systemd/certctl-agent.service'],
  ]) {
    it(`${path} verifies without a warning`, async () => {
      expect(await verify(name, readFileSync(join(root, path), 'utf8'))).toEqual({ code: 0, stderr: '' });
    });
  }

  it('the check sees a misspelled setting', async () => {
    const text = readFileSync(join(deployDir, 'systemd/certctl-server.service'), 'utf8').replace(
      'ProtectClock=',
      'ProtectClok=',
    );
    expect((await verify('misspelled.service', text)).stderr).toContain("Unknown key 'ProtectClok'");
  });
});

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary YAML that the assertions walk
type Manifest = { file: string; object: any };

async function validateAgainstKubernetesSchema({ object }: Manifest): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const modulePath =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${object.kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`;
  const module = await import(modulePath);
  new module[object.kind](object).validate();
}

describe('Helm chart (Go text/template rendering, Kubernetes schema check from kubernetes-models)', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
  const validateValues = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('values.yaml satisfies values.schema.json, and the schema refuses bad values', async () => {
    const { values } = await renderChart(chartDir);
    expect(validateValues(values), JSON.stringify(validateValues.errors)).toBe(true);
    const bad = structuredClone(values);
    bad.server.replicaCount = 0;
    bad.agent.serverUrl = 'http://plain';
    expect(validateValues(bad)).toBe(false);
    expect(validateValues.errors!.map((e) => e.instancePath).sort()).toEqual([
      '/agent/serverUrl',
      '/server/replicaCount',
    ]);
  });

  it('renders the server Deployment, Service, PodDisruptionBudget, agent DaemonSet and NetworkPolicies, all valid Kubernetes objects', async () => {
    const { manifests, files } = await renderChart(chartDir);
    expect(manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'DaemonSet/prod-certctl-agent',
      'NetworkPolicy/prod-certctl-server',
      'NetworkPolicy/prod-certctl-agent',
      'Deployment/prod-certctl-server',
      'PodDisruptionBudget/prod-certctl-server',
      'Service/prod-certctl-server',
    ]);
    for (const manifest of manifests) await validateAgainstKubernetesSchema(manifest);
    expect(files.get('NOTES.txt')).toContain('2 server replica(s)');

    const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
    const [deployment] = byKind('Deployment');
    const [daemonSet] = byKind('DaemonSet');
    expect(deployment.spec.replicas).toBe(2);
    for (const workload of [deployment, daemonSet]) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
      }
      expect(workload.spec.selector.matchLabels).toEqual(workload.spec.template.metadata.labels);
    }
    const server = deployment.spec.template.spec.containers[0];
    expect(server.livenessProbe.httpGet).toEqual({ path: '/health', port: 'https', scheme: 'HTTPS' });
    expect(server.readinessProbe.httpGet.path).toBe('/ready');
    const serverEnv = Object.fromEntries(server.env.map((e: { name: string }) => [e.name, e]));
    expect(serverEnv.CERTCTL_DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'certctl-database', key: 'url' });
    const agent = daemonSet.spec.template.spec.containers[0];
    expect(agent.ports, 'the agent never listens').toBeUndefined();
    expect(agent.env.find((e: { name: string }) => e.name === 'CERTCTL_SERVER_URL').value).toBe(
      'https://prod-certctl-server.certctl.svc:8443',
    );
    const agentPolicy = byKind('NetworkPolicy').find((p) => p.metadata.name.endsWith('-agent'));
    expect(agentPolicy.spec.ingress).toEqual([]);
  });

  it('renders N replicas, a ServiceMonitor, host paths and extra env when asked; no agent objects when disabled', async () => {
    const { manifests } = await renderChart(chartDir, {
      values: {
        server: { replicaCount: 5, extraEnv: [{ name: 'CERTCTL_ACME_SERVER_ENABLED', value: 'true' }] },
        agent: { hostPaths: [{ name: 'nginx-certs', path: '/etc/nginx/certs' }] },
        metrics: { serviceMonitor: { enabled: true } },
      },
    });
    for (const manifest of manifests) await validateAgainstKubernetesSchema(manifest);
    const find = (kind: string) => manifests.find((m) => m.object.kind === kind)!.object;
    expect(find('Deployment').spec.replicas).toBe(5);
    expect(find('Deployment').spec.template.spec.containers[0].env.at(-1)).toEqual({
      name: 'CERTCTL_ACME_SERVER_ENABLED',
      value: 'true',
    });
    const monitor = find('ServiceMonitor');
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'https', path: '/metrics', scheme: 'https' });
    const pod = find('DaemonSet').spec.template.spec;
    expect(pod.volumes.at(-1)).toEqual({
      name: 'host-nginx-certs',
      hostPath: { path: '/etc/nginx/certs', type: 'Directory' },
    });
    expect(pod.containers[0].volumeMounts.at(-1)).toEqual({ name: 'host-nginx-certs', mountPath: '/etc/nginx/certs' });

    const { manifests: serverOnly } = await renderChart(chartDir, {
      values: { agent: { enabled: false }, server: { replicaCount: 1 } },
    });
    // One replica: no PodDisruptionBudget (it would block every drain).
    expect(serverOnly.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'NetworkPolicy/prod-certctl-server',
      'Deployment/prod-certctl-server',
      'Service/prod-certctl-server',
    ]);
  });

  it('the schema check refuses a wrong manifest, and the renderer an unknown value', async () => {
    const { manifests } = await renderChart(chartDir);
    const deployment = structuredClone(manifests.find((m) => m.object.kind === 'Deployment')!);
    deployment.object.spec.template.spec.containers[0].ports[0].containerPort = '8443';
    await expect(validateAgainstKubernetesSchema(deployment)).rejects.toThrow(/containerPort must be integer/);
    await expect(renderChart(chartDir, { values: { server: { service: null } } })).rejects.toThrow(
      /NOTES.txt: nil pointer evaluating .*httpsPort/,
    );
  });
});
