import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ClientCredential,
  createTempDir,
  type FakeEntrust,
  type FakeEntrustOptions,
  startFakeEntrust,
  type TempDir,
} from '@certctl/connector-testkit';
import type { EntrustIssuerConfigInput } from '../entrust-config.js';

export interface EntrustSetup {
  fake: FakeEntrust;
  dir: TempDir;
  certPath: string;
  keyPath: string;
  serverCaPath: string;
  credential: ClientCredential;
  gatewayConfig(overrides?: Partial<EntrustIssuerConfigInput>): EntrustIssuerConfigInput;
  enterpriseConfig(overrides?: Partial<EntrustIssuerConfigInput>): EntrustIssuerConfigInput;
  /** Replaces the client certificate files the way an operator rotates them (write aside, then rename). */
  rotateTo(credential: ClientCredential): Promise<void>;
  close(): Promise<void>;
}

/** A fake Entrust, a registered client certificate on disk and the fake's TLS CA for server_ca_path. */
export async function setUpEntrust(options: FakeEntrustOptions = {}): Promise<EntrustSetup> {
  const fake = await startFakeEntrust(options);
  const dir = await createTempDir('issuer-entrust-');
  const certPath = join(dir.path, 'client.crt');
  const keyPath = join(dir.path, 'client.key');
  const serverCaPath = join(dir.path, 'entrust-ca.pem');
  const credential = await fake.clientCredential('certctl-entrust-client');
  await writeFile(certPath, credential.certificatePem);
  await writeFile(keyPath, credential.privateKeyPem, { mode: 0o600 });
  await writeFile(serverCaPath, fake.serverCaPem);
  const common = {
    client_cert_path: certPath,
    client_key_path: keyPath,
    server_ca_path: serverCaPath,
  };
  return {
    fake,
    dir,
    certPath,
    keyPath,
    serverCaPath,
    credential,
    gatewayConfig: (overrides = {}) => ({
      api_url: fake.gatewayUrl,
      ca_id: fake.caId,
      profile_id: fake.profiles.auto,
      ...common,
      ...overrides,
    }),
    enterpriseConfig: (overrides = {}) => ({
      api_mode: 'enterprise',
      api_url: fake.enterpriseUrl,
      username: fake.username,
      api_key: fake.apiKey,
      organization: 'Example Corp',
      ...common,
      ...overrides,
    }),
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
