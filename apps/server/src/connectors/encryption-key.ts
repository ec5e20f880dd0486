import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../db/open-database.js';
import { type ConfigCipher, createConfigCipher, DecryptionError } from './config-cipher.js';

const SALT_KEY = 'config_encryption_salt';
const CHECK_KEY = 'config_encryption_check';
const KEY_FILE = 'config-encryption.key';

async function readState(db: Executor, key: string): Promise<unknown> {
  const row = await db.selectFrom('serverState').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

async function writeStateOnce(db: Executor, key: string, value: unknown): Promise<unknown> {
  await db
    .insertInto('serverState')
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return readState(db, key);
}

function keyFromFile(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`);
  return key;
}

export interface EncryptionKeyOptions {
  /** CERTCTL_CONFIG_ENCRYPTION_KEY: a passphrase of 32+ characters, stretched with scrypt. */
  passphrase?: string;
  /** Where the generated key file lives when no passphrase is given. */
  dataDir: string;
}

/**
 * The cipher for secrets at rest. A passphrase is stretched once at boot with a per-installation
 * salt kept in the database; otherwise a random key is generated into a 0600 file in the data dir.
 * A stored check value makes a wrong key fail at start instead of at first use.
 */
export async function loadConfigCipher(
  db: Executor,
  options: EncryptionKeyOptions,
): Promise<{ cipher: ConfigCipher; source: 'env' | 'key-file' }> {
  let key: Buffer;
  if (options.passphrase) {
    const salt = String(await writeStateOnce(db, SALT_KEY, randomBytes(16).toString('base64')));
    key = scryptSync(options.passphrase, Buffer.from(salt, 'base64'), 32, {
      N: 2 ** 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
  } else {
    key = keyFromFile(options.dataDir);
  }
  const cipher = createConfigCipher(key);
  const check = String(await writeStateOnce(db, CHECK_KEY, cipher.encrypt('certctl', 'key-check')));
  try {
    cipher.decrypt(check, 'key-check');
  } catch (error) {
    if (error instanceof DecryptionError) {
      throw new Error(
        options.passphrase
          ? 'CERTCTL_CONFIG_ENCRYPTION_KEY: does not match the key the stored secrets were encrypted with'
          : `CERTCTL_CONFIG_ENCRYPTION_KEY: not set, and ${join(options.dataDir, KEY_FILE)} is not the key the stored secrets were encrypted with`,
      );
    }
    throw error;
  }
  return { cipher, source: options.passphrase ? 'env' : 'key-file' };
}
