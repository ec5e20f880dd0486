import { type ConfigPath, mapSecretPaths, redactConfig, secretPaths } from '@certctl/core';
import type { z } from 'zod';
import type { ConfigCipher } from './config-cipher.js';

/** Which table an instance lives in; part of the associated data, so a blob only decrypts where it was written. */
export type InstanceKind = 'issuer' | 'notifier' | 'discovery';
/** Every kind of row whose config carries encrypted secrets. */
export type SecretConfigKind = InstanceKind | 'target';

const contextFor = (kind: SecretConfigKind, instanceId: string, path: ConfigPath) =>
  `${kind}:${instanceId}:${path.join('.')}`;

/** The config as stored: every secret field (per the connector's schema) encrypted in place. */
export function encryptSecrets<T>(
  schema: z.ZodType,
  config: T,
  cipher: ConfigCipher,
  instanceId: string,
  kind: InstanceKind = 'issuer',
): T {
  return encryptSecretPaths(secretPaths(schema), config, cipher, instanceId, kind);
}

/** The stored config with secret fields decrypted, for handing to the connector only. */
export function decryptSecrets<T>(
  schema: z.ZodType,
  config: T,
  cipher: ConfigCipher,
  instanceId: string,
  kind: InstanceKind = 'issuer',
): T {
  return decryptSecretPaths(secretPaths(schema), config, cipher, instanceId, kind);
}

/** `encryptSecrets` for secret paths already known (a target's come from the server's or its agent's schema). */
export function encryptSecretPaths<T>(
  paths: readonly ConfigPath[],
  config: T,
  cipher: ConfigCipher,
  instanceId: string,
  kind: SecretConfigKind,
): T {
  return mapSecretPaths(config, paths, (value, path) =>
    value === null || cipher.isEncrypted(value)
      ? value
      : cipher.encrypt(JSON.stringify(value), contextFor(kind, instanceId, path)),
  );
}

/** `decryptSecrets` for the secret paths a config was stored with. */
export function decryptSecretPaths<T>(
  paths: readonly ConfigPath[],
  config: T,
  cipher: ConfigCipher,
  instanceId: string,
  kind: SecretConfigKind,
): T {
  return mapSecretPaths(config, paths, (value, path) =>
    cipher.isEncrypted(value) ? JSON.parse(cipher.decrypt(value, contextFor(kind, instanceId, path))) : value,
  );
}

/** What any response or log line may show. */
export function redactSecrets<T>(schema: z.ZodType, config: T): T {
  return redactConfig(schema, config);
}
