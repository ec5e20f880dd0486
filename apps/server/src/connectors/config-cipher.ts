import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION_PREFIX = 'v1:';

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/**
 * AES-256-GCM for secrets at rest. A blob is `v1:` + base64(nonce 12 ‖ tag 16 ‖ ciphertext); the
 * associated data binds it to where it is stored (`issuer:iss-x:api_key`), so a blob copied into
 * another row or field does not decrypt.
 */
export interface ConfigCipher {
  encrypt(plaintext: string, context: string): string;
  decrypt(blob: string, context: string): string;
  isEncrypted(value: unknown): value is string;
}

export function createConfigCipher(key: Uint8Array): ConfigCipher {
  if (key.length !== 32) throw new Error('the config encryption key must be 32 bytes');
  const keyBuffer = Buffer.from(key);
  return {
    encrypt(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyBuffer, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return VERSION_PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    decrypt(blob, context) {
      if (!blob.startsWith(VERSION_PREFIX)) throw new DecryptionError('not an encrypted value');
      const raw = Buffer.from(blob.slice(VERSION_PREFIX.length), 'base64');
      if (raw.length < 28) throw new DecryptionError('encrypted value is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBuffer, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new DecryptionError(
          'encrypted value does not decrypt with the configured key (wrong CERTCTL_CONFIG_ENCRYPTION_KEY?)',
        );
      }
    },
    isEncrypted(value): value is string {
      return typeof value === 'string' && value.startsWith(VERSION_PREFIX);
    },
  };
}
