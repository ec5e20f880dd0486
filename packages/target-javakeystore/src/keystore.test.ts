import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTempDir,
  createTestContext,
  createTestDeployRequest,
  type TempDir,
  type TestContext,
  wrapCommand,
} from '@certctl/connector-testkit';
import { createCommandRunner } from '@certctl/connector-utils';
import { ConnectorError, type DeployRequest, type Exec } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JavaKeystoreTargetConfigInput, javaKeystoreConfigSchema } from './javakeystore-config.js';
import { createJavaKeystoreTarget } from './javakeystore-target.js';

const PASSWORD = 'correct horse battery staple';
let dir: TempDir;
let ctx: TestContext;
/** Every argv keytool and the reload ran with, to prove the password is never on a command line. */
const argvs: string[][] = [];

beforeAll(async () => {
  dir = await createTempDir('certctl-jks-');
  const real = createCommandRunner({ defaultTimeoutMs: 60_000 });
  const recording: Exec = (command, args, options) => {
    argvs.push([command, ...args]);
    return real(command, args, options);
  };
  ctx = await createTestContext({ exec: recording });
});
afterAll(async () => {
  await ctx?.cleanup();
  await dir?.remove();
});

const target = (config: JavaKeystoreTargetConfigInput) =>
  createJavaKeystoreTarget(javaKeystoreConfigSchema.parse(config), ctx);

/** keytool as an operator would run it, with the password from the environment. */
function keytool(args: string[]): string {
  return execFileSync('keytool', [...args, '-storepass:env', 'PW'], {
    env: { PATH: '/usr/bin:/bin', PW: PASSWORD },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** openssl's reading of a PKCS#12 keystore: the key and certificates it holds. */
function opensslPkcs12(path: string): { keyPem: string; certs: string[] } {
  const out = execFileSync('openssl', ['pkcs12', '-in', path, '-passin', 'env:PW', '-nodes'], {
    env: { PATH: '/usr/bin:/bin', PW: PASSWORD },
    encoding: 'utf8',
  });
  return {
    keyPem: out.match(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/)?.[0] ?? '',
    certs: out.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [],
  };
}

const serialOf = (pem: string) =>
  execFileSync('openssl', ['x509', '-noout', '-serial'], { input: pem, encoding: 'utf8' })
    .trim()
    .replace('serial=', '')
    .toLowerCase()
    .replace(/^0+/, '');
const samePublicKey = (keyPem: string, request: DeployRequest) =>
  createPublicKey(keyPem)
    .export({ format: 'der', type: 'spki' })
    .equals(createPublicKey(request.certPem).export({ format: 'der', type: 'spki' }));

const requests: DeployRequest[] = [];
const nextRequest = async () => {
  const request = await createTestDeployRequest({ commonName: `jks-${requests.length}.example.test` });
  requests.push(request);
  return request;
};

// keytool starts a JVM per run (1-3 s each on a busy machine) and a deploy takes three.
describe('PKCS#12 keystore with the real keytool', { timeout: 240_000 }, () => {
  let path: string;
  beforeAll(() => {
    mkdirSync(join(dir.path, 'p12'));
    path = join(dir.path, 'p12', 'keystore.p12');
  });

  it('creates the keystore with the key and chain under the alias, readable by keytool and openssl', async () => {
    const request = await nextRequest();
    const result = await target({ keystore_path: path, keystore_password: PASSWORD, alias: 'tomcat' }).deploy(request);
    expect(result.changed).toBe(true);
    expect(result.detail).toContain('created the keystore with tomcat');

    const listing = keytool(['-list', '-v', '-keystore', path]);
    expect(listing).toContain('Keystore type: PKCS12');
    expect(listing).toMatch(/Alias name: tomcat\s/);
    expect(listing).toContain('Entry type: PrivateKeyEntry');
    expect(listing).toContain('Certificate chain length: 2');

    const { keyPem, certs } = opensslPkcs12(path);
    expect(samePublicKey(keyPem, request)).toBe(true);
    expect(certs).toHaveLength(2);
    expect(serialOf(certs[0]!)).toBe(request.serial.replace(/^0+/, ''));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('finds the same certificates already there and changes nothing', async () => {
    const before = readFileSync(path);
    const result = await target({ keystore_path: path, keystore_password: PASSWORD, alias: 'tomcat' }).deploy(
      requests.at(-1)!,
    );
    expect(result.changed).toBe(false);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('replaces the alias, keeps other entries, and keeps a backup of the previous keystore', async () => {
    keytool([
      '-genkeypair',
      '-alias',
      'other',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      'CN=other',
      '-keystore',
      path,
    ]);
    const request = await nextRequest();
    const config = { keystore_path: path, keystore_password: PASSWORD, alias: 'tomcat' };
    await target(config).deploy(request);
    const listing = keytool(['-list', '-keystore', path]);
    expect(listing).toMatch(/^other,/m);
    expect(listing).toMatch(/^tomcat,/m);
    expect(await target(config).validateDeployment({ serial: request.serial })).toMatchObject({ valid: true });
    expect(await target(config).validateDeployment({ serial: requests.at(-2)!.serial })).toMatchObject({
      valid: false,
    });
    const backups = readdirSync(join(dir.path, 'p12')).filter((n) => n.startsWith('keystore.p12.certctl-bak.'));
    expect(backups.length).toBeGreaterThanOrEqual(1);
    expect(opensslPkcs12(path).certs).toHaveLength(3);
  });

  it('never puts the keystore password on a command line', () => {
    expect(argvs.length).toBeGreaterThan(0);
    for (const argv of argvs) expect(argv.join(' ')).not.toContain(PASSWORD);
    expect(argvs.some((argv) => argv.includes('-storepass:env'))).toBe(true);
  });

  it('refuses a wrong password with a message saying so, and leaves the keystore alone', async () => {
    const before = readFileSync(path);
    const error = await target({ keystore_path: path, keystore_password: 'wrong password', alias: 'tomcat' })
      .deploy(await nextRequest())
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('keystore_password does not open this keystore');
    expect((error as Error).message).not.toContain('wrong password');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('puts the previous keystore back when the reload fails, and reloads again', async () => {
    const reload = wrapCommand(dir.path, 'reload', 'true');
    const config = {
      keystore_path: path,
      keystore_password: PASSWORD,
      alias: 'tomcat',
      reload_command: reload.command,
    };
    // The replace test above deployed the second request; the wrong-password one never landed.
    const current = requests[1]!;
    const before = readFileSync(path);
    reload.failNext();
    const error = await target(config)
      .deploy(await nextRequest())
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('the previous files were restored');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(reload.runs()).toBe(2);
    expect((await target(config).validateDeployment({ serial: current.serial })).valid).toBe(true);
  });

  it('refuses to create a keystore when create_keystore is false', async () => {
    const missing = join(dir.path, 'p12', 'missing.p12');
    const error = await target({ keystore_path: missing, keystore_password: PASSWORD, create_keystore: false })
      .deploy(await nextRequest())
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('create_keystore is false');
    expect(existsSync(missing)).toBe(false);
  });

  it('keeps backups in backup_dir, pruned to backup_retention', async () => {
    const backupDir = join(dir.path, 'backups');
    mkdirSync(backupDir);
    const config = {
      keystore_path: path,
      keystore_password: PASSWORD,
      alias: 'tomcat',
      backup_dir: backupDir,
      backup_retention: 2,
    };
    for (let i = 0; i < 3; i++) await target(config).deploy(await nextRequest());
    const backups = readdirSync(backupDir);
    expect(backups).toHaveLength(2);
    // Each backup is a keystore keytool can open.
    for (const name of backups) expect(keytool(['-list', '-keystore', join(backupDir, name)])).toMatch(/^tomcat,/m);
  });
});

describe('JKS keystore with the real keytool', { timeout: 240_000 }, () => {
  it('imports the key and chain into a JKS keystore with the key entry under the store password', async () => {
    mkdirSync(join(dir.path, 'jks'));
    const path = join(dir.path, 'jks', 'keystore.jks');
    const request = await nextRequest();
    const config = { keystore_path: path, keystore_password: PASSWORD, keystore_type: 'JKS' as const, alias: 'kafka' };
    await target(config).deploy(request);
    const listing = keytool(['-list', '-v', '-keystore', path]);
    expect(listing).toContain('Keystore type: JKS');
    expect(listing).toMatch(/Alias name: kafka\s/);
    expect(listing).toContain('Certificate chain length: 2');

    // Converted to PKCS#12 by keytool (key password = store password), openssl finds the key and the chain.
    const converted = join(dir.path, 'jks', 'converted.p12');
    execFileSync(
      'keytool',
      [
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        path,
        '-srcstorepass:env',
        'PW',
        '-srcalias',
        'kafka',
        '-srckeypass:env',
        'PW',
        '-destkeystore',
        converted,
        '-deststoretype',
        'PKCS12',
        '-deststorepass:env',
        'PW',
      ],
      { env: { PATH: '/usr/bin:/bin', PW: PASSWORD }, stdio: 'pipe' },
    );
    const { keyPem, certs } = opensslPkcs12(converted);
    expect(samePublicKey(keyPem, request)).toBe(true);
    expect(certs).toHaveLength(2);

    const renewed = await nextRequest();
    expect((await target(config).deploy(renewed)).changed).toBe(true);
    expect((await target(config).validateDeployment({ serial: renewed.serial })).valid).toBe(true);
  });
});
