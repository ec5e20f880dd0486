import { join } from 'node:path';
import { createTestContext, createTestDeployRequest, type TestContext } from '@certctl/connector-testkit';
import { AuthenticationError, ConnectorError, DeadlineExceededError, type DeployRequest } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshTargetConfigInput, sshConfigSchema } from './ssh-config.js';
import { createSshTarget } from './ssh-target.js';
import { type SshHost, startSshHost } from './test-support/ssh-host.js';

let host: SshHost;
let ctx: TestContext;

beforeAll(async () => {
  host = await startSshHost();
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await host?.stop();
});

const baseConfig = (overrides: Partial<SshTargetConfigInput> = {}): SshTargetConfigInput => ({
  host: host.sshd.host,
  port: host.sshd.port,
  user: host.sshd.user,
  auth_method: 'key',
  private_key_path: host.sshd.clientKeyPath,
  known_hosts_path: host.sshd.knownHostsPath,
  cert_path: host.paths.cert,
  key_path: host.paths.key,
  chain_path: host.paths.chain,
  reload_command: host.reloadCommand,
  validate_command: host.validateCommand,
  timeout: 10,
  ...overrides,
});

const target = (overrides: Partial<SshTargetConfigInput> = {}) =>
  createSshTarget(sshConfigSchema.parse(baseConfig(overrides)), ctx);

const requests: DeployRequest[] = [];
const nextRequest = async () => {
  const request = await createTestDeployRequest({ commonName: `ssh-${requests.length}.example.test` });
  requests.push(request);
  return request;
};

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('deploy to a real OpenSSH server', () => {
  it('writes the certificate, chain and key with their modes, as the SFTP server reports them, and reloads', async () => {
    const request = await nextRequest();
    const reloadsBefore = host.reloads();
    const result = await target().deploy(request);
    expect(result.changed).toBe(true);
    expect(result.detail).toContain('reload_command');

    const cert = host.sftpGet(host.paths.cert)!;
    const chain = host.sftpGet(host.paths.chain)!;
    const key = host.sftpGet(host.paths.key)!;
    expect(cert.bytes.toString()).toContain(request.certPem.trim().split('\n')[1]);
    expect(cert.bytes.toString().match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(chain.bytes.toString()).toContain(request.chainPem.trim().split('\n')[1]);
    expect(key.bytes.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(cert.mode).toBe(0o644);
    expect(chain.mode).toBe(0o644);
    expect(key.mode).toBe(0o600);
    expect([key.uid, key.gid]).toEqual([host.sshd.uid, host.sshd.gid]);
    expect(host.reloads()).toBe(reloadsBefore + 1);

    const validation = await target().validateDeployment({
      serial: request.serial,
      fingerprintSha256: request.fingerprintSha256,
    });
    expect(validation).toMatchObject({ valid: true, observedSerial: request.serial });
  });

  it('deploys the same bytes again without writing or reloading', async () => {
    const request = requests.at(-1)!;
    const reloadsBefore = host.reloads();
    const result = await target().deploy(request);
    expect(result.changed).toBe(false);
    expect(host.reloads()).toBe(reloadsBefore);
  });

  it('appends the chain to cert_path when chain_path is not set, with the configured modes', async () => {
    const request = await nextRequest();
    const cert = join(host.certDir, 'fullchain.pem');
    const key = join(host.certDir, 'fullchain.key');
    await target({ chain_path: undefined, cert_path: cert, key_path: key, cert_mode: '0640', key_mode: '0400' }).deploy(
      request,
    );
    const written = host.sftpGet(cert)!;
    expect(written.bytes.toString().match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(written.mode).toBe(0o640);
    expect(host.sftpGet(key)!.mode).toBe(0o400);
  });

  it('sets the configured numeric owner and group', async () => {
    const request = await nextRequest();
    const cert = join(host.certDir, 'owned.pem');
    await target({
      cert_path: cert,
      key_path: join(host.certDir, 'owned.key'),
      chain_path: undefined,
      file_uid: host.sshd.uid,
      file_gid: host.sshd.gid,
    }).deploy(request);
    expect(host.sftpGet(cert)).toMatchObject({ uid: host.sshd.uid, gid: host.sshd.gid });
  });

  it('logs in with a password, with an inline key, and through an ssh-agent', async () => {
    const socket = await host.sshd.startAgent();
    const variants: Partial<SshTargetConfigInput>[] = [
      { auth_method: 'password', password: host.sshd.password, private_key_path: undefined },
      { auth_method: 'key', private_key: host.sshd.clientKeyPem, private_key_path: undefined },
      { auth_method: 'agent', agent_socket: socket, private_key_path: undefined },
    ];
    for (const variant of variants) {
      const result = await target(variant).testConnection!();
      expect(result.ok, variant.auth_method).toBe(true);
      expect(result.detail).toContain(host.sshd.hostKeyFingerprint);
    }
  });

  it('refuses a wrong password with an AuthenticationError', async () => {
    const error = await errorOf(
      target({ auth_method: 'password', password: 'not-the-password', private_key_path: undefined }).testConnection!(),
    );
    expect(AuthenticationError.isInstance(error), String(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain('not-the-password');
  });
});

describe('host key pinning', () => {
  it('accepts the host key by its SHA-256 fingerprint', async () => {
    const result = await target({ known_hosts_path: undefined, host_key_fingerprint: host.sshd.hostKeyFingerprint })
      .testConnection!();
    expect(result.ok).toBe(true);
  });

  it('refuses a host whose key changed (known_hosts lists another) and writes nothing', async () => {
    const current = requests.at(-1)!;
    const wrongKnownHosts = join(host.certDir, '..', 'wrong_known_hosts');
    host.sshd.writeWrongKnownHosts(wrongKnownHosts);
    const certBefore = host.sftpGet(host.paths.cert);
    const error = await errorOf(target({ known_hosts_path: wrongKnownHosts }).deploy(await nextRequest()));
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/host key of .* changed/);
    expect(host.sftpGet(host.paths.cert)).toEqual(certBefore);
    expect(current).toBeDefined();
  });

  it('refuses a host missing from known_hosts', async () => {
    const other = join(host.certDir, '..', 'other_port_known_hosts');
    // The right key, but for another port: another host as far as ssh is concerned.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(other, `${host.sshd.knownHostsLine.replace(`]:${host.sshd.port} `, ']:1 ')}\n`);
    const error = await errorOf(target({ known_hosts_path: other }).testConnection!());
    expect((error as Error).message).toMatch(/is not in .*other_port_known_hosts/);
  });

  it('refuses a host key that does not match the pinned fingerprint', async () => {
    const wrong = host.sshd.writeWrongKnownHosts(join(host.certDir, '..', 'scratch_known_hosts'));
    const error = await errorOf(target({ known_hosts_path: undefined, host_key_fingerprint: wrong }).testConnection!());
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`not the pinned host_key_fingerprint ${wrong}`);
  });
});

describe('rollback', () => {
  it('restores the previous files when the reload fails, and reloads them again', async () => {
    const current = await nextRequest();
    await target().deploy(current);
    const before = {
      cert: host.sftpGet(host.paths.cert),
      chain: host.sftpGet(host.paths.chain),
      key: host.sftpGet(host.paths.key),
    };
    const reloadsBefore = host.reloads();
    host.failNextReload();
    const error = await errorOf(target().deploy(await nextRequest()));
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /previous files were restored \(and reloaded\).*reload refused: bad certificate/,
    );
    expect({
      cert: host.sftpGet(host.paths.cert),
      chain: host.sftpGet(host.paths.chain),
      key: host.sftpGet(host.paths.key),
    }).toEqual(before);
    // The failed reload, then the reload of the restored files.
    expect(host.reloads()).toBe(reloadsBefore + 2);
    expect((await target().validateDeployment({ serial: current.serial })).valid).toBe(true);
  });

  it('restores the previous files without reloading when the validate command fails', async () => {
    const current = requests.at(-2)!;
    const before = host.sftpGet(host.paths.cert);
    const reloadsBefore = host.reloads();
    host.failValidate(true);
    try {
      const error = await errorOf(target().deploy(await nextRequest()));
      expect((error as Error).message).toMatch(/validate_command .* exited with 1: config test failed/);
    } finally {
      host.failValidate(false);
    }
    expect(host.sftpGet(host.paths.cert)).toEqual(before);
    expect(host.reloads()).toBe(reloadsBefore);
    expect(current).toBeDefined();
  });

  it('removes files a failed first deploy created', async () => {
    const cert = join(host.certDir, 'new.pem');
    const key = join(host.certDir, 'new.key');
    host.failNextReload();
    const error = await errorOf(
      target({ cert_path: cert, key_path: key, chain_path: undefined }).deploy(await nextRequest()),
    );
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(host.sftpGet(cert)).toBeUndefined();
    expect(host.sftpGet(key)).toBeUndefined();
  });

  it('stops a reload that overruns command_timeout_seconds and restores the previous files', async () => {
    const before = host.sftpGet(host.paths.cert);
    const { writeFileSync, rmSync } = await import('node:fs');
    const slow = join(host.sshd.home, 'slow-reload');
    writeFileSync(slow, '');
    try {
      const error = await errorOf(target({ command_timeout_seconds: 1 }).deploy(await nextRequest()));
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect(DeadlineExceededError.isInstance((error as { cause?: unknown }).cause)).toBe(true);
    } finally {
      rmSync(slow, { force: true });
    }
    expect(host.sftpGet(host.paths.cert)).toEqual(before);
  });
});
