import { type ConfigPath, mapSecrets, redactConfig } from '@certctl/core';
import type { z } from 'zod';
import type { ConfigCipher } from './config-cipher.js';

/** Which table an instance lives in; part of the associated data, so a blob only decrypts where it was written. */
export type InstanceKind = 'issuer' | 'notifier';

const contextFor = (kind: InstanceKind, instanceId: string, path: ConfigPath) => `${kind}:${instanceId}:${path.join('.')}`;

/** The config as stored: every secret field (per the connector's schema) encrypted in place. */
export function encryptSecrets<T>(schema: z.ZodType, config: T, cipher: ConfigCipher, instanceId: string, kind: InstanceKind = 'issuer'): T {
  return mapSecrets(schema, config, (value, path) =>
    value === null || cipher.isEncrypted(value) ? value : cipher.encrypt(JSON.stringify(value), contextFor(kind, instanceId, path)),
  );
}

/** The stored config with secret fields decrypted, for handing to the connector only. */
export function decryptSecrets<T>(schema: z.ZodType, config: T, cipher: ConfigCipher, instanceId: string, kind: InstanceKind = 'issuer'): T {
  return mapSecrets(schema, config, (value, path) =>
    cipher.isEncrypted(value) ? JSON.parse(cipher.decrypt(value, contextFor(kind, instanceId, path))) : value,
  );
}

/** What any response or log line may show. */
export function redactSecrets<T>(schema: z.ZodType, config: T): T {
  return redactConfig(schema, config);
}
