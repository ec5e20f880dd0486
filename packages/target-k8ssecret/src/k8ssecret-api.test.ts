import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  type FakeKubernetes,
  startFakeKubernetes,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import {
  AuthenticationError,
  ConnectorError,
  DeadlineExceededError,
  type DeployRequest,
  VendorApiError,
} from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type K8sSecretTargetConfigInput, k8sSecretConfigSchema } from './k8ssecret-config.js';
import { createK8sSecretTarget } from './k8ssecret-target.js';

const ADMIN = 'agent-token-abcdefghijklmnop';
const READ_ONLY = 'read-only-token-abcdefghijk';
let fake: FakeKubernetes;
let dir: TempDir;
let ctx: TestContext;
let kubeconfig: string;

beforeAll(async () => {
  dir = await createTempDir('certctl-k8s-');
  ctx = await createTestContext();
  fake = await startFakeKubernetes({
    namespaces: ['default', 'production'],
    tokens: {
      [ADMIN]: { user: 'system:serviceaccount:certctl:agent', namespaces: ['production'] },
      [READ_ONLY]: { user: 'system:serviceaccount:certctl:viewer', verbs: ['get'] },
    },
  });
  kubeconfig = writeKubeconfig('kubeconfig', ADMIN);
});
afterAll(async () => {
  await fake?.close();
  await ctx?.cleanup();
  await dir?.remove();
});

function writeKubeconfig(name: string, token: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, fake.kubeconfig({ token }), { mode: 0o600 });
  return path;
}

const target = (overrides: Partial<K8sSecretTargetConfigInput> = {}) =>
  createK8sSecretTarget(
    k8sSecretConfigSchema.parse({
      namespace: 'production',
      secret_name: 'api-tls',
      kubeconfig_path: kubeconfig,
      labels: { app: 'api-gateway' },
      ...overrides,
    }),
    ctx,
  );

interface KubectlSecret {
  type: string;
  data: Record<string, string>;
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
}

/** kubectl's view of a Secret (the real client reading what the connector wrote). */
function kubectlGet(name: string): Promise<KubectlSecret> {
  return new Promise((resolve, reject) => {
    execFile(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig,
        '--cache-dir',
        join(dir.path, 'cache'),
        'get',
        'secret',
        name,
        '-n',
        'production',
        '-o',
        'json',
      ],
      { env: { PATH: '/usr/bin:/bin', HOME: dir.path }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout))),
    );
  });
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

let n = 0;
const nextRequest = (): Promise<DeployRequest> =>
  createTestDeployRequest({ commonName: `k8s-${++n}.example.test`, metadata: { certificate_id: `cert-${n}` } });

describe('kubernetes.io/tls Secret through @kubernetes/client-node', { timeout: 60_000 }, () => {
  let first: DeployRequest;

  it('creates the Secret with tls.crt (leaf and chain), tls.key, labels and annotations, as kubectl reads it', async () => {
    first = await nextRequest();
    const result = await target().deploy(first);
    expect(result.changed).toBe(true);
    expect(result.detail).toContain('created secret production/api-tls');

    const secret = await kubectlGet('api-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(decode(secret.data['tls.crt']!).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(decode(secret.data['tls.crt']!)).toContain(first.certPem.trim().split('\n')[1]);
    expect(decode(secret.data['tls.key']!)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(secret.data['ca.crt']).toBeUndefined();
    expect(secret.metadata.labels).toMatchObject({
      app: 'api-gateway',
      'app.kubernetes.io/managed-by': 'certctl',
      'certctl.io/certificate-id': 'cert-1',
    });
    expect(secret.metadata.annotations).toMatchObject({
      'certctl.io/serial': first.serial,
      'certctl.io/certificate-id': 'cert-1',
    });
    expect(await target().validateDeployment({ serial: first.serial })).toMatchObject({ valid: true });
  });

  it('writes nothing when the Secret already holds these bytes', async () => {
    const before = fake.secret('production', 'api-tls')!.metadata.resourceVersion;
    expect((await target().deploy(first)).changed).toBe(false);
    expect(fake.secret('production', 'api-tls')!.metadata.resourceVersion).toBe(before);
  });

  it('replaces with the resourceVersion it read, retrying from a fresh read after a 409, and keeps what others set', async () => {
    fake.conflictBeforeNextUpdate('production', 'api-tls');
    const puts = () => fake.vendor.requests.filter((r) => r.method === 'PUT').length;
    const putsBefore = puts();
    const request = await nextRequest();
    const result = await target().deploy(request);
    expect(result.detail).toContain('replaced secret production/api-tls');
    expect(puts() - putsBefore).toBe(2);
    // Every PUT carried a resourceVersion precondition.
    for (const put of fake.vendor.requests.filter((r) => r.method === 'PUT').slice(putsBefore)) {
      expect(JSON.parse(put.body).metadata.resourceVersion).toMatch(/^\d+$/);
    }
    const secret = await kubectlGet('api-tls');
    expect(secret.metadata.annotations['fake.certctl.io/changed-by']).toBe('another-client');
    expect(secret.metadata.annotations['certctl.io/serial']).toBe(request.serial);
    expect((await target().validateDeployment({ serial: request.serial })).valid).toBe(true);
    expect((await target().validateDeployment({ serial: first.serial })).valid).toBe(false);
  });

  it('gives up with a 409 VendorApiError when the Secret keeps changing', async () => {
    fake.conflictBeforeNextUpdate('production', 'api-tls', 3);
    const error = await errorOf(target({ max_conflict_retries: 2 }).deploy(await nextRequest()));
    expect(VendorApiError.isInstance(error) && error.status).toBe(409);
    expect((error as Error).message).toContain('changed under every one of 3 attempts');
  });

  it('writes ca.crt with the top of the chain when include_ca is set', async () => {
    const request = await nextRequest();
    await target({ secret_name: 'with-ca', include_ca: true }).deploy(request);
    const secret = await kubectlGet('with-ca');
    const chain = request.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
    expect(decode(secret.data['ca.crt']!).trim()).toBe(chain.at(-1));
  });

  it('restores the previous data when the read-back fails', async () => {
    const before = fake.secret('production', 'api-tls')!;
    fake.failNext(
      'GET',
      {
        status: 500,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'etcdserver: request timed out',
          reason: 'InternalError',
          code: 500,
        },
      },
      1,
    );
    const error = await errorOf(target().deploy(await nextRequest()));
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/previous data was restored: .*etcdserver: request timed out/);
    const after = fake.secret('production', 'api-tls')!;
    expect(after.data).toEqual(before.data);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
  });

  it('deletes a Secret it created when the read-back fails', async () => {
    fake.failNext(
      'GET',
      {
        status: 500,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'boom',
          reason: 'InternalError',
          code: 500,
        },
      },
      1,
    );
    const error = await errorOf(target({ secret_name: 'fresh-tls' }).deploy(await nextRequest()));
    expect((error as Error).message).toContain('the new Secret was deleted');
    expect(fake.secret('production', 'fresh-tls')).toBeUndefined();
  });

  it('refuses to overwrite a Secret of another type', async () => {
    fake.writeSecret('production', 'opaque', {
      type: 'Opaque',
      data: { password: Buffer.from('x').toString('base64') },
    });
    const error = await errorOf(target({ secret_name: 'opaque' }).deploy(await nextRequest()));
    expect((error as Error).message).toContain('exists with type Opaque');
    expect(fake.secret('production', 'opaque')!.type).toBe('Opaque');
  });

  it('says which permission is missing on 403, and that the token is wrong on 401', async () => {
    const readOnly = writeKubeconfig('read-only', READ_ONLY);
    const forbidden = await errorOf(
      target({ kubeconfig_path: readOnly, secret_name: 'new-one' }).deploy(await nextRequest()),
    );
    expect(VendorApiError.isInstance(forbidden) && forbidden.status).toBe(403);
    expect((forbidden as Error).message).toContain(
      'User "system:serviceaccount:certctl:viewer" cannot create resource "secrets" in API group "" in the namespace "production"',
    );
    expect((forbidden as Error).message).toContain('grant get, create and update on secrets in namespace production');

    const wrong = writeKubeconfig('wrong', 'not-a-valid-token');
    const unauthorized = await errorOf(target({ kubeconfig_path: wrong }).testConnection!());
    expect(AuthenticationError.isInstance(unauthorized)).toBe(true);
    expect((unauthorized as Error).message).not.toContain('not-a-valid-token');
  });

  it('is refused in a namespace its token may not use', async () => {
    const error = await errorOf(target({ namespace: 'default', secret_name: 'x' }).deploy(await nextRequest()));
    // The agent's token is only allowed in production.
    expect((error as Error).message).toContain('in the namespace "default"');
  });

  it('gives up on an API server that does not answer within timeout_seconds', async () => {
    let release: () => void = () => undefined;
    fake.failNext(
      'GET',
      () =>
        new Promise((resolve) => {
          release = () => resolve({ status: 500, body: {} });
        }),
    );
    const error = await errorOf(target({ timeout_seconds: 1 }).testConnection!());
    release();
    expect(DeadlineExceededError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toContain('did not answer within 1 s');
  });
});
