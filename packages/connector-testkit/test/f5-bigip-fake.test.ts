import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDeployRequest, type FakeBigIp, startFakeBigIp, type TempDir } from '../src/index.js';

// The fake is driven with curl, as F5's own examples drive iControl REST, so what is checked here is
// the wire: paths, headers, status codes and bodies.
let fake: FakeBigIp;
let dir: TempDir;
let caPath: string;

beforeAll(async () => {
  dir = await createTempDir('certctl-f5-fake-');
  const initial = await createTestDeployRequest({ commonName: 'initial.example.test' });
  fake = await startFakeBigIp({
    profiles: { '/Common/clientssl': { certPem: initial.certPem, keyPem: initial.keyPem } },
  });
  caPath = join(dir.path, 'ca.pem');
  writeFileSync(caPath, fake.caPem);
});
afterAll(async () => {
  await fake?.close();
  await dir?.remove();
});

async function curl(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; data?: string } = {},
) {
  const args = ['-sS', '--cacert', caPath, '-X', method, '-w', '\n%{http_code}', `${fake.url}${path}`];
  if (options.token) args.push('-H', `X-F5-Auth-Token: ${options.token}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (options.body !== undefined)
    args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(options.body));
  if (options.data !== undefined) args.push('--data-binary', options.data);
  // Asynchronously: the fake answers from this very process.
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies, read field by field in assertions
  return new Promise<{ status: number; json: Record<string, any> }>((resolve, reject) => {
    execFile('curl', args, { encoding: 'utf8', timeout: 30_000 }, (error, out) => {
      if (error) return reject(error);
      const cut = out.lastIndexOf('\n');
      const text = out.slice(0, cut);
      resolve({ status: Number(out.slice(cut + 1)), json: text ? JSON.parse(text) : undefined });
    });
  });
}

const login = async () =>
  (
    await curl('POST', '/mgmt/shared/authn/login', {
      body: { username: fake.username, password: fake.password, loginProviderName: 'tmos' },
    })
  ).json.token.token as string;

describe('fake BIG-IP iControl REST', { timeout: 60_000 }, () => {
  it('logs in with a token and answers 401 bodies as BIG-IP does', async () => {
    const refused = await curl('POST', '/mgmt/shared/authn/login', {
      body: { username: fake.username, password: 'nope' },
    });
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 401, message: 'Authentication failed.', kind: ':resterrorresponse' });
    expect(refused.json.originalRequestBody).not.toContain('nope');

    const token = await login();
    expect(token).toMatch(/^[A-Z0-9]+$/);
    expect((await curl('GET', '/mgmt/tm/ltm/profile/client-ssl/~Common~clientssl', { token })).status).toBe(200);
    const stale = await curl('GET', '/mgmt/tm/ltm/profile/client-ssl/~Common~clientssl', { token: 'ABCDEF' });
    expect(stale).toMatchObject({ status: 401, json: { code: 401, message: 'X-F5-Auth-Token does not exist.' } });
  });

  it('queues writes under X-F5-REST-Coordination-Id and applies them only on commit, all or nothing', async () => {
    const token = await login();
    const request = await createTestDeployRequest({ commonName: 'xact.example.test' });
    const upload = (name: string, content: string) =>
      curl('POST', `/mgmt/shared/file-transfer/uploads/${name}`, {
        token,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `0-${content.length - 1}/${content.length}`,
        },
        data: content,
      });
    expect((await upload('x.crt', request.certPem)).json).toMatchObject({
      remainingByteCount: 0,
      localFilePath: '/var/config/rest/downloads/x.crt',
    });
    await upload('x.key', request.keyPem);
    const certState = async () => (await curl('GET', '/mgmt/tm/sys/file/ssl-cert/~Common~x.crt', { token })).status;

    const transId = (await curl('POST', '/mgmt/tm/transaction', { token, body: {} })).json.transId as number;
    const coordination = { 'X-F5-REST-Coordination-Id': String(transId) };
    const queued = await curl('POST', '/mgmt/tm/sys/crypto/cert', {
      token,
      headers: coordination,
      body: { command: 'install', name: '/Common/x.crt', 'from-local-file': '/var/config/rest/downloads/x.crt' },
    });
    expect(queued.json).toMatchObject({ transId, state: 'STARTED', kind: 'tm:transactionstate' });
    // Not applied before the commit.
    expect(await certState()).toBe(404);
    // A profile update naming a key that will not exist: the whole transaction must fail.
    await curl('PATCH', '/mgmt/tm/ltm/profile/client-ssl/~Common~clientssl', {
      token,
      headers: coordination,
      body: { certKeyChain: [{ name: 'default', cert: '/Common/x.crt', key: '/Common/missing.key' }] },
    });
    const commit = await curl('PATCH', `/mgmt/tm/transaction/${transId}`, { token, body: { state: 'VALIDATING' } });
    expect(commit.status).toBe(400);
    expect(commit.json).toEqual({
      code: 400,
      message: 'transaction failed:01020036:3: The requested Certificate Key File (/Common/missing.key) was not found.',
      errorStack: [],
      apiError: 2,
    });
    expect(await certState()).toBe(404);

    const second = (await curl('POST', '/mgmt/tm/transaction', { token, body: {} })).json.transId as number;
    const headers = { 'X-F5-REST-Coordination-Id': String(second) };
    for (const [kind, file] of [
      ['cert', 'x.crt'],
      ['key', 'x.key'],
    ]) {
      await curl('POST', `/mgmt/tm/sys/crypto/${kind}`, {
        token,
        headers,
        body: { command: 'install', name: `/Common/${file}`, 'from-local-file': `/var/config/rest/downloads/${file}` },
      });
    }
    await curl('PATCH', '/mgmt/tm/ltm/profile/client-ssl/~Common~clientssl', {
      token,
      headers,
      body: { certKeyChain: [{ name: 'default', cert: '/Common/x.crt', key: '/Common/x.key' }] },
    });
    expect((await curl('GET', `/mgmt/tm/transaction/${second}/commands`, { token })).json.items).toHaveLength(3);
    const committed = await curl('PATCH', `/mgmt/tm/transaction/${second}`, { token, body: { state: 'VALIDATING' } });
    expect(committed.json).toMatchObject({ state: 'COMPLETED' });
    const cert = (await curl('GET', '/mgmt/tm/sys/file/ssl-cert/~Common~x.crt', { token })).json;
    expect(cert.serialNumber.replace(/^0+/, '')).toBe(request.serial.replace(/^0+/, ''));
    expect(fake.profile('/Common/clientssl')!.certKeyChain[0]).toMatchObject({ cert: '/Common/x.crt' });
  });
});
