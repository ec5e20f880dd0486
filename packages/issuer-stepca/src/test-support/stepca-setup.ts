/** Test helper: a provisioner, a fake step-ca that knows it, and the files the issuer config names. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir } from '@certctl/connector-testkit';
import { parseConfig } from '@certctl/core';
import { type StepcaIssuerConfig, stepcaConfigSchema } from '../stepca-config.js';
import { type FakeStepca, startFakeStepca } from './fake-stepca.js';
import { createProvisionerFixture, type ProvisionerFixture } from './provisioner-fixture.js';

export interface StepcaSetup {
  stepca: FakeStepca;
  provisioner: ProvisionerFixture;
  dir: TempDir;
  rootPath: string;
  keyPath: string;
  /** Wire-form config (before parsing). */
  rawConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  config(overrides?: Record<string, unknown>): StepcaIssuerConfig;
  write(name: string, content: string): Promise<string>;
  close(): Promise<void>;
}

export async function setUpStepca(
  options: { now?: () => number; maxDurationSeconds?: number } = {},
): Promise<StepcaSetup> {
  const provisioner = await createProvisionerFixture();
  const stepca = await startFakeStepca({
    now: options.now,
    provisioners: [
      { name: provisioner.name, publicJwk: provisioner.publicJwk, maxDurationSeconds: options.maxDurationSeconds },
    ],
  });
  const dir = await createTempDir('issuer-stepca-');
  const write = async (name: string, content: string) => {
    const path = join(dir.path, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  };
  const rootPath = await write('root_ca.crt', stepca.rootPem);
  const keyPath = await write('provisioner.json', JSON.stringify(provisioner.caJsonEntry, null, 2));
  const rawConfig = (overrides: Record<string, unknown> = {}) => ({
    ca_url: stepca.url,
    provisioner_name: provisioner.name,
    provisioner_key_path: keyPath,
    provisioner_password: provisioner.password,
    root_cert_path: rootPath,
    ...overrides,
  });
  return {
    stepca,
    provisioner,
    dir,
    rootPath,
    keyPath,
    rawConfig,
    config: (overrides = {}) => parseConfig(stepcaConfigSchema, rawConfig(overrides)),
    write,
    async close() {
      await stepca.close();
      await dir.remove();
    },
  };
}
