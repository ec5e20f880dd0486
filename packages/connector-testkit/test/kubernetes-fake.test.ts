import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestCa, type FakeKubernetes, startFakeKubernetes, type TempDir } from '../src/index.js';

// The fake is proven against the real client: Debian's kubectl talks to it over TLS with a bearer
// token, and what kubectl prints for each answer is what it prints for a real API server.
let fake: FakeKubernetes;
let dir: TempDir;
const READER = 'reader-token-0123456789';

beforeAll(async () => {
  dir = await createTempDir('certctl-kube-fake-');
  fake = await startFakeKubernetes({
    namespaces: ['default', 'production'],
    tokens: {
      'admin-token-0123456789': { user: 'kubernetes-admin' },
      [READER]: { user: 'system:serviceaccount:certctl:reader', verbs: ['get', 'list'], namespaces: ['production'] },
    },
  });
});
afterAll(async () => {
  await fake?.close();
  await dir?.remove();
});

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], options: { token?: string; kubeconfig?: string } = {}): Promise<KubectlResult> {
  const config = options.kubeconfig ?? fake.kubeconfig({ token: options.token ?? 'admin-token-0123456789' });
  const path = join(dir.path, `kubeconfig-${Math.random().toString(16).slice(2)}`);
  writeFileSync(path, config, { mode: 0o600 });
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      ['--kubeconfig', path, '--cache-dir', join(dir.path, 'cache'), '--request-timeout=20s', ...args],
      { env: { PATH: '/usr/bin:/bin', HOME: dir.path }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const tlsSecret = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) => {
  const path = join(dir.path, `${name}-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      ...extra,
      metadata: { name, namespace: 'production', ...((extra.metadata as object) ?? {}) },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    }),
  );
  return path;
};

describe('fake Kubernetes API server, checked with kubectl', { timeout: 120_000 }, () => {
  it('creates a kubernetes.io/tls Secret and serves it back as kubectl expects', async () => {
    const created = await kubectl([
      'create',
      '--validate=false',
      '-f',
      tlsSecret('api-tls', { 'tls.crt': 'CERT', 'tls.key': 'KEY' }),
    ]);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('secret/api-tls created');

    const got = await kubectl(['get', 'secret', 'api-tls', '-n', 'production', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const secret = JSON.parse(got.stdout);
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'api-tls' } });
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toBe('CERT');
    expect(secret.metadata.resourceVersion).toBe(fake.secret('production', 'api-tls')!.metadata.resourceVersion);

    const jsonpath = await kubectl(['get', 'secret', 'api-tls', '-n', 'production', '-o', 'jsonpath={.type}']);
    expect(jsonpath.stdout).toBe('kubernetes.io/tls');
  });

  it('answers AlreadyExists, NotFound and Invalid with the Status bodies kubectl prints', async () => {
    const again = await kubectl([
      'create',
      '--validate=false',
      '-f',
      tlsSecret('api-tls', { 'tls.crt': 'A', 'tls.key': 'B' }),
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('Error from server (AlreadyExists)');
    expect(again.stderr).toContain('secrets "api-tls" already exists');

    const missing = await kubectl(['get', 'secret', 'nope', '-n', 'production']);
    expect(missing.stderr).toContain('Error from server (NotFound): secrets "nope" not found');

    const noKey = await kubectl(['create', '--validate=false', '-f', tlsSecret('half-tls', { 'tls.crt': 'A' })]);
    expect(noKey.stderr).toContain('The Secret "half-tls" is invalid: data[tls.key]: Required value');
  });

  it('refuses a replace with a stale resourceVersion (409 Conflict) and accepts the current one', async () => {
    const current = fake.secret('production', 'api-tls')!;
    const stale = current.metadata.resourceVersion;
    fake.writeSecret('production', 'api-tls', { annotations: { touched: 'yes' } });
    const conflict = await kubectl([
      'replace',
      '--validate=false',
      '-f',
      tlsSecret('api-tls', { 'tls.crt': 'NEW', 'tls.key': 'NEWKEY' }, { metadata: { resourceVersion: stale } }),
    ]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Error from server (Conflict)');
    expect(conflict.stderr).toContain('the object has been modified; please apply your changes to the latest version');

    const fresh = fake.secret('production', 'api-tls')!.metadata.resourceVersion;
    const replaced = await kubectl([
      'replace',
      '--validate=false',
      '-f',
      tlsSecret('api-tls', { 'tls.crt': 'NEW', 'tls.key': 'NEWKEY' }, { metadata: { resourceVersion: fresh } }),
    ]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(Buffer.from(fake.secret('production', 'api-tls')!.data!['tls.crt']!, 'base64').toString()).toBe('NEW');
  });

  it('refuses a type change as immutable', async () => {
    const path = join(dir.path, 'opaque.json');
    const current = fake.secret('production', 'api-tls')!;
    writeFileSync(path, JSON.stringify({ ...current, type: 'Opaque' }));
    const changed = await kubectl(['replace', '--validate=false', '-f', path]);
    expect(changed.stderr).toContain('field is immutable');
  });

  it('refuses a wrong token as Unauthorized and a token without the right as Forbidden', async () => {
    const wrong = await kubectl(['get', 'secret', 'api-tls', '-n', 'production'], { token: 'not-a-token' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('You must be logged in to the server');

    const reader = await kubectl(['get', 'secret', 'api-tls', '-n', 'production', '-o', 'name'], { token: READER });
    expect(reader.code, reader.stderr).toBe(0);
    expect(reader.stdout.trim()).toBe('secret/api-tls');

    const write = await kubectl(['delete', 'secret', 'api-tls', '-n', 'production'], { token: READER });
    expect(write.stderr).toContain(
      'Error from server (Forbidden): secrets "api-tls" is forbidden: User "system:serviceaccount:certctl:reader" cannot delete resource "secrets" in API group "" in the namespace "production"',
    );
    const elsewhere = await kubectl(['get', 'secrets', '-n', 'default'], { token: READER });
    expect(elsewhere.stderr).toContain('cannot list resource "secrets" in API group "" in the namespace "default"');
  });

  it('is only reachable with its CA: kubectl refuses the server certificate with another CA', async () => {
    const otherCa = await createTestCa({ commonName: 'not the API server CA' });
    const other = fake
      .kubeconfig()
      .replace(
        /certificate-authority-data: .*/,
        `certificate-authority-data: ${Buffer.from(otherCa.certificatePem).toString('base64')}`,
      );
    const refused = await kubectl(['get', 'secrets', '-n', 'production'], { kubeconfig: other });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('certificate signed by unknown authority');
  });

  it('deletes a Secret', async () => {
    const deleted = await kubectl(['delete', 'secret', 'api-tls', '-n', 'production']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('secret "api-tls" deleted');
    expect(fake.secret('production', 'api-tls')).toBeUndefined();
  });
});
