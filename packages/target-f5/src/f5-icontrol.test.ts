import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  createTestCa,
  createTestContext,
  createTestDeployRequest,
  type FakeBigIp,
  startFakeBigIp,
  type TempDir,
  type TestContext,
} from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, type DeployRequest, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type F5TargetConfigInput, f5ConfigSchema } from './f5-config.js';
import { createF5Target } from './f5-target.js';

let fake: FakeBigIp;
let dir: TempDir;
let ctx: TestContext;
let caPath: string;
let initial: DeployRequest;

beforeAll(async () => {
  dir = await createTempDir('certctl-f5-');
  ctx = await createTestContext();
  initial = await createTestDeployRequest({ commonName: 'initial.example.test' });
  fake = await startFakeBigIp({
    partitions: ['Common', 'Tenant_A'],
    profiles: {
      '/Common/clientssl_api': { certPem: initial.certPem, keyPem: initial.keyPem, chainPem: initial.chainPem },
      '/Tenant_A/clientssl_shop': { certPem: initial.certPem, keyPem: initial.keyPem },
    },
  });
  caPath = join(dir.path, 'bigip-ca.pem');
  writeFileSync(caPath, fake.caPem);
});
afterAll(async () => {
  await fake?.close();
  await ctx?.cleanup();
  await dir?.remove();
});

const target = (overrides: Partial<F5TargetConfigInput> = {}) =>
  createF5Target(
    f5ConfigSchema.parse({
      host: '127.0.0.1',
      port: fake.port,
      username: fake.username,
      password: fake.password,
      ssl_profile: 'clientssl_api',
      ca_cert_path: caPath,
      timeout: 10,
      ...overrides,
    }),
    ctx,
    'test',
  );

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );
let n = 0;
const nextRequest = () => createTestDeployRequest({ commonName: `f5-${++n}.example.test` });
const base = (request: DeployRequest) => `certctl_${request.serial}`;

describe('F5 BIG-IP over iControl REST (fake)', { timeout: 60_000 }, () => {
  let deployed: DeployRequest;

  it('installs certificate, key and chain and switches the profile in one transaction, then removes the uploads', async () => {
    deployed = await nextRequest();
    const result = await target().deploy(deployed);
    expect(result.changed).toBe(true);
    expect(fake.profile('/Common/clientssl_api')!.certKeyChain).toEqual([
      {
        name: 'default',
        cert: `/Common/${base(deployed)}.crt`,
        key: `/Common/${base(deployed)}.key`,
        chain: `/Common/${base(deployed)}_chain.crt`,
      },
    ]);
    expect(fake.certs().map((c) => c.fullPath)).toContain(`/Common/${base(deployed)}.crt`);
    expect(fake.uploads()).toEqual([]);
    const committed = fake.transactions().at(-1)!;
    expect(committed).toMatchObject({ state: 'COMPLETED', commands: 4 });

    // Queued writes carried the transaction id; the commit did not.
    const requests = fake.vendor.requests;
    const queued = requests.filter((r) => r.headers['x-f5-rest-coordination-id']);
    expect(queued.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /mgmt/tm/sys/crypto/key',
      'POST /mgmt/tm/sys/crypto/cert',
      'POST /mgmt/tm/sys/crypto/cert',
      'PATCH /mgmt/tm/ltm/profile/client-ssl/~Common~clientssl_api',
    ]);
    const commit = requests.find(
      (r) => r.method === 'PATCH' && r.path === `/mgmt/tm/transaction/${committed.transId}`,
    )!;
    expect(commit.headers['x-f5-rest-coordination-id']).toBeUndefined();
    expect(JSON.parse(commit.body)).toEqual({ state: 'VALIDATING' });
    // Token auth only: no Basic credentials, and the password only in the login body.
    expect(requests.some((r) => r.headers.authorization)).toBe(false);
    expect(requests.filter((r) => r.body.includes(fake.password)).map((r) => r.path)).toEqual([
      '/mgmt/shared/authn/login',
    ]);

    expect(
      await target().validateDeployment({ serial: deployed.serial, fingerprintSha256: deployed.fingerprintSha256 }),
    ).toMatchObject({
      valid: true,
    });
  });

  it('changes nothing for the certificate the profile already uses', async () => {
    const before = fake.transactions().length;
    expect((await target().deploy(deployed)).changed).toBe(false);
    expect(fake.transactions().length).toBe(before);
  });

  it('leaves the old profile and installs nothing when BIG-IP refuses the commit', async () => {
    const profileBefore = fake.profile('/Common/clientssl_api');
    const certsBefore = fake.certs().length;
    fake.failNextCommit('01070734:3: Configuration error: In profile /Common/clientssl_api, injected');
    const error = await errorOf(target().deploy(await nextRequest()));
    expect(VendorApiError.isInstance(error) && error.status).toBe(400);
    expect((error as Error).message).toContain('nothing changed');
    expect((error as Error).message).toContain('transaction failed:01070734:3');
    expect(fake.profile('/Common/clientssl_api')).toEqual(profileBefore);
    expect(fake.certs().length).toBe(certsBefore);
    expect(fake.uploads()).toEqual([]);
    expect(fake.transactions().at(-1)!.state).toBe('FAILED');
  });

  it('rolls back the queued installs when a later command in the transaction fails', async () => {
    const request = await nextRequest();
    const other = await nextRequest();
    // A stale object under the name this certificate's key will use, holding another key: the profile
    // update is refused at commit (key does not match), and the certificate install queued before it
    // must not survive either.
    fake.install('key', `/Common/${base(request)}.key`, other.keyPem);
    const profileBefore = fake.profile('/Common/clientssl_api');
    const error = await errorOf(target().deploy(request));
    expect((error as Error).message).toMatch(/transaction failed:010717e3:3: .*does not match/);
    expect(fake.profile('/Common/clientssl_api')).toEqual(profileBefore);
    expect(fake.certs().map((c) => c.fullPath)).not.toContain(`/Common/${base(request)}.crt`);
    expect(await target().validateDeployment({ serial: deployed.serial })).toMatchObject({ valid: true });
  });

  it('puts objects and the profile in the configured partition', async () => {
    const request = await nextRequest();
    await target({ partition: 'Tenant_A', ssl_profile: 'clientssl_shop' }).deploy(request);
    expect(fake.profile('/Tenant_A/clientssl_shop')!.certKeyChain[0]).toMatchObject({
      cert: `/Tenant_A/${base(request)}.crt`,
      key: `/Tenant_A/${base(request)}.key`,
    });
    // A profile the partition does not hold is an error naming it.
    const error = await errorOf(target({ partition: 'Tenant_A' }).testConnection!());
    expect((error as Error).message).toContain('/Tenant_A/clientssl_api');
  });

  it('refuses a wrong password with an AuthenticationError that does not echo it', async () => {
    const error = await errorOf(target({ password: 'wrong-password-123' }).testConnection!());
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Authentication failed.');
    expect((error as Error).message).not.toContain('wrong-password-123');
  });

  it('trusts only the pinned CA, and skips verification only with insecure: true', async () => {
    const otherCa = await createTestCa({ commonName: 'not the BIG-IP CA' });
    const otherPath = join(dir.path, 'other-ca.pem');
    writeFileSync(otherPath, otherCa.certificatePem);
    const refused = await errorOf(target({ ca_cert_path: otherPath }).testConnection!());
    expect(ConnectorError.isInstance(refused)).toBe(true);
    expect(String((refused as Error).message)).toMatch(/certificate|UNABLE_TO_VERIFY|self-signed|SELF_SIGNED/i);

    const insecure = await target({ ca_cert_path: undefined, insecure: true }).testConnection!();
    expect(insecure.ok).toBe(true);
    expect(() => f5ConfigSchema.parse({ host: 'bigip', username: 'a', password: 'b', ssl_profile: 'p' })).toThrow(
      /ca_cert_path/,
    );
  });
});
