import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClientCredential,
  createTempDir,
  type FakeGlobalSign,
  type FakeGlobalSignOptions,
  startFakeGlobalSign,
  type TempDir,
} from '@certctl/connector-testkit';
import type { GlobalSignIssuerConfigInput } from '../globalsign-config.js';

export interface GlobalSignSetup {
  fake: FakeGlobalSign;
  dir: TempDir;
  certPath: string;
  keyPath: string;
  serverCaPath: string;
  credential: ClientCredential;
  config(overrides?: Partial<GlobalSignIssuerConfigInput>): GlobalSignIssuerConfigInput;
  /** Writes a credential to its own files and returns their paths. */
  writeCredential(name: string, credential: ClientCredential): Promise<{ certPath: string; keyPath: string }>;
  /** Replaces the configured client certificate files the way an operator rotates them. */
  rotateTo(credential: ClientCredential): Promise<void>;
  close(): Promise<void>;
}

/** A fake Atlas, a client certificate bound to its API key on disk, and its TLS CA for server_ca_path. */
export async function setUpGlobalSign(options: FakeGlobalSignOptions = {}): Promise<GlobalSignSetup> {
  const fake = await startFakeGlobalSign(options);
  const dir = await createTempDir('issuer-globalsign-');
  const certPath = join(dir.path, 'client.crt');
  const keyPath = join(dir.path, 'client.key');
  const serverCaPath = join(dir.path, 'atlas-ca.pem');
  const credential = await fake.clientCredential('certctl-atlas-client');
  await writeFile(certPath, credential.certificatePem);
  await writeFile(keyPath, credential.privateKeyPem, { mode: 0o600 });
  await writeFile(serverCaPath, fake.serverCaPem);
  return {
    fake,
    dir,
    certPath,
    keyPath,
    serverCaPath,
    credential,
    config: (overrides = {}) => ({
      api_url: fake.apiUrl,
      api_key: fake.apiKey,
      api_secret: fake.apiSecret,
      client_cert_path: certPath,
      client_key_path: keyPath,
      server_ca_path: serverCaPath,
      ...overrides,
    }),
    async writeCredential(name, cred) {
      const paths = { certPath: join(dir.path, `${name}.crt`), keyPath: join(dir.path, `${name}.key`) };
      await writeFile(paths.certPath, cred.certificatePem);
      await writeFile(paths.keyPath, cred.privateKeyPem, { mode: 0o600 });
      return paths;
    },
    async rotateTo(next) {
      await writeFile(`${certPath}.new`, next.certificatePem);
      await writeFile(`${keyPath}.new`, next.privateKeyPem, { mode: 0o600 });
      await rename(`${keyPath}.new`, keyPath);
      await rename(`${certPath}.new`, certPath);
    },
    async close() {
      await fake.close();
      await dir.remove();
    },
  };
}
