import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  createOperatorCommand,
  deployFilesWithCommands,
  describeLeaf,
  isSameCertificate,
  prepareTlsMaterial,
  splitCertificates,
  systemClock,
  type TlsMaterial,
} from '@certctl/connector-utils';
import { type ConnectorContext, ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import { buildPkcs12 } from '@certctl/pki';
import type { JavaKeystoreTargetConfig } from './javakeystore-config.js';
import { type AliasEntry, CONNECTOR, createKeytool, SOURCE_PASSWORD_VAR, STORE_PASSWORD_VAR } from './keytool.js';

const BACKUP_MARKER = '.certctl-bak.';
const DEFAULT_BACKUPS = 3;

/** One read-modify-write of a keystore at a time in this process (two aliases in one file must not race). */
const keystoreLocks = new Map<string, Promise<unknown>>();
async function withKeystoreLock<T>(path: string, run: () => Promise<T>): Promise<T> {
  const previous = keystoreLocks.get(path) ?? Promise.resolve();
  const current = previous.then(run, run);
  const settled = current.catch(() => undefined);
  keystoreLocks.set(path, settled);
  try {
    return await current;
  } finally {
    if (keystoreLocks.get(path) === settled) keystoreLocks.delete(path);
  }
}

const base64Of = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

/** Whether a keystore entry holds exactly this leaf and chain, with its key. */
function holds(entry: AliasEntry | undefined, material: TlsMaterial): boolean {
  if (entry?.entryType !== 'PrivateKeyEntry') return false;
  const wanted = splitCertificates(material.fullchainPem).map(base64Of);
  return entry.chain.length === wanted.length && entry.chain.every((pem, i) => base64Of(pem) === wanted[i]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConnectorError({
      connector: CONNECTOR,
      message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      cause: error,
    });
  }
}

/**
 * A Java keystore (PKCS#12 or JKS): the key and chain are imported under `alias` into a private copy
 * of the keystore with the real keytool, the copy is checked, then it replaces the keystore atomically
 * (backup, rename); the reload command runs and a failure puts the previous keystore back.
 */
export function createJavaKeystoreTarget(config: JavaKeystoreTargetConfig, ctx: ConnectorContext): TargetInstance {
  const path = config.keystore_path;
  const { alias } = config;
  const timeoutMs = config.command_timeout_seconds * 1000;
  const keytool = createKeytool({
    exec: ctx.exec,
    program: config.keytool_path,
    timeoutMs,
    storePassword: config.keystore_password,
  });
  const reloadCommand = config.reload_command
    ? createOperatorCommand(config.reload_command, {
        field: 'reload_command',
        connector: CONNECTOR,
        timeoutMs,
        logger: ctx.logger,
      })
    : undefined;
  const retention =
    config.backup_retention === -1
      ? Number.MAX_SAFE_INTEGER
      : config.backup_retention === 0
        ? DEFAULT_BACKUPS
        : config.backup_retention;
  const storeArgs = (keystore: string) => ['-keystore', keystore, '-storepass:env', STORE_PASSWORD_VAR];

  /** The new keystore's bytes: the current one (if any) with the entry under `alias` replaced. */
  const buildKeystore = async (material: TlsMaterial, signal?: AbortSignal) => {
    const work = await mkdtemp(join(ctx.tmpDir, 'keystore-'));
    try {
      await chmod(work, 0o700);
      const importPassword = randomBytes(18).toString('base64url');
      const importFile = join(work, 'import.p12');
      await writeFile(
        importFile,
        buildPkcs12({
          privateKey: material.keyPem,
          certificate: material.leafPem,
          chain: material.chainPem ? splitCertificates(material.chainPem) : [],
          password: importPassword,
          friendlyName: alias,
        }),
        { mode: 0o600 },
      );
      const copy = join(work, 'keystore');
      if (await exists(path)) await copyFile(path, copy);
      // -noprompt makes -importkeystore overwrite an existing entry under the alias (of the copy).
      const importArgs = [
        '-importkeystore',
        '-noprompt',
        '-srckeystore',
        importFile,
        '-srcstoretype',
        'PKCS12',
        '-srcstorepass:env',
        SOURCE_PASSWORD_VAR,
        '-srcalias',
        alias,
        '-destkeystore',
        copy,
        '-deststoretype',
        config.keystore_type,
        '-deststorepass:env',
        STORE_PASSWORD_VAR,
        '-destalias',
        alias,
        // JKS keeps a password per key entry; PKCS12 entries share the store's.
        ...(config.keystore_type === 'JKS' ? ['-destkeypass:env', STORE_PASSWORD_VAR] : []),
      ];
      await keytool.expect(importArgs, '-importkeystore', { [SOURCE_PASSWORD_VAR]: importPassword }, signal);
      const imported = await keytool.readAlias(copy, alias, signal);
      if (!holds(imported, material)) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `keytool imported the entry ${alias}, but reading it back shows ${imported ? `a ${imported.entryType} with ${imported.chain.length} certificate(s)` : 'no entry'}; the keystore was not replaced`,
        });
      }
      return await readFile(copy);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };

  const backupInDir = async (directory: string) => {
    const stamp = (ctx.clock ?? systemClock).now().toISOString().replace(/[-:]/g, '').replace('.', '');
    for (let n = 0; ; n++) {
      const backup = join(directory, `${basename(path)}${BACKUP_MARKER}${stamp}${n === 0 ? '' : `-${n}`}`);
      try {
        await copyFile(path, backup, fsConstants.COPYFILE_EXCL);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
        throw error;
      }
      await chmod(backup, 0o600);
      return backup;
    }
  };

  const pruneBackupsIn = async (directory: string) => {
    const prefix = `${basename(path)}${BACKUP_MARKER}`;
    // Oldest first: by timestamp, then by the -n suffix a second backup in the same instant gets.
    const order = (name: string) => {
      const [stamp = '', n = '0'] = name.slice(prefix.length).split('-');
      return { stamp, n: Number(n) };
    };
    const backups = (await readdir(directory))
      .filter((name) => name.startsWith(prefix))
      .sort((a, b) => {
        const x = order(a);
        const y = order(b);
        return x.stamp === y.stamp ? x.n - y.n : x.stamp < y.stamp ? -1 : 1;
      });
    for (const name of backups.slice(0, Math.max(0, backups.length - retention))) {
      await unlink(join(directory, name)).catch(() => undefined);
    }
  };

  const readCurrentEntry = async (signal?: AbortSignal) =>
    (await exists(path)) ? keytool.readAlias(path, alias, signal) : undefined;

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
      const material = prepareTlsMaterial(request, CONNECTOR);
      return withKeystoreLock(path, async () => {
        const present = await exists(path);
        if (!present && !config.create_keystore) {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `${path} does not exist and create_keystore is false: create the keystore or set create_keystore`,
            retryable: false,
          });
        }
        const current = present ? await keytool.readAlias(path, alias, signal) : undefined;
        if (holds(current, material)) {
          return {
            changed: false,
            detail: `serial ${request.serial}: ${path} already holds it under ${alias}; nothing written${reloadCommand ? ', not reloaded' : ''}`,
          };
        }
        const bytes = await buildKeystore(material, signal);
        const ownBackup = present && config.backup_dir ? await backupInDir(config.backup_dir) : undefined;
        let result: Awaited<ReturnType<typeof deployFilesWithCommands>>;
        try {
          result = await deployFilesWithCommands({
            files: [{ path, content: bytes, kind: 'private-key' }],
            exec: ctx.exec,
            reloadCommand,
            backups: config.backup_dir ? 0 : retention,
            signal,
            logger: ctx.logger,
            connector: CONNECTOR,
            clock: ctx.clock,
          });
        } catch (error) {
          if (ownBackup) await unlink(ownBackup).catch(() => undefined);
          throw error;
        }
        if (config.backup_dir) {
          await pruneBackupsIn(config.backup_dir).catch((error: Error) =>
            ctx.logger.warn({ directory: config.backup_dir, error: error.message }, 'could not prune old backups'),
          );
        }
        const action = current
          ? `replaced ${alias}`
          : present
            ? `added ${alias}`
            : `created the keystore with ${alias}`;
        return {
          changed: true,
          detail: `serial ${request.serial}: ${config.keystore_type} ${path}: ${action}; ${result.steps.join('; ')}`,
        };
      });
    },

    async validateDeployment(request) {
      const entry = await readCurrentEntry(request.signal ?? ctx.signal);
      if (!entry) return { valid: false, detail: `${path} has no entry ${alias}` };
      const deployed = entry.chain[0] ? describeLeaf(entry.chain[0]) : undefined;
      if (!deployed) return { valid: false, detail: `${path} entry ${alias} holds no certificate` };
      const valid = isSameCertificate(deployed, request) && entry.entryType === 'PrivateKeyEntry';
      return {
        valid,
        observedSerial: deployed.serial,
        detail: valid
          ? `${path} entry ${alias} holds serial ${deployed.serial} with its key`
          : `${path} entry ${alias} holds serial ${deployed.serial} (${entry.entryType}), not the requested certificate`,
      };
    },

    async dryRun(request: DeployRequest) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      const present = await exists(path);
      const current = present ? await keytool.readAlias(path, alias, request.signal ?? ctx.signal) : undefined;
      if (holds(current, material)) {
        return { steps: [`keep ${path}: ${alias} already holds these certificates`, 'nothing changes'] };
      }
      if (!present && !config.create_keystore) {
        return { steps: [`refuse: ${path} does not exist and create_keystore is false`] };
      }
      return {
        steps: [
          `copy ${present ? path : 'a new keystore'} to a private temp directory`,
          `keytool -importkeystore the key and ${splitCertificates(material.fullchainPem).length} certificate(s) under ${alias} (${config.keystore_type}${current ? ', replacing the entry there' : ''})`,
          `read ${alias} back and compare`,
          `${present ? `back up ${path} and ` : ''}rename the new keystore into place${present ? '' : ' (mode 0600)'}`,
          ...(reloadCommand ? [`run reload_command "${reloadCommand.text}"`] : []),
          'on any failure: put the previous keystore back and reload again',
        ],
      };
    },

    async testConnection(options) {
      const signal = options?.signal ?? ctx.signal;
      if (await exists(path)) {
        await keytool.expect(['-list', ...storeArgs(path)], '-list', {}, signal);
        await access(dirname(path), fsConstants.W_OK | fsConstants.X_OK).catch((error: NodeJS.ErrnoException) => {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `cannot write to ${dirname(path)} (${error.code}): the new keystore is renamed into place from there`,
          });
        });
        return { ok: true, detail: `${path} opens with keystore_password; ${dirname(path)} writable` };
      }
      if (!config.create_keystore) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `${path} does not exist and create_keystore is false`,
        });
      }
      await keytool.expect(['-help'], '-help', {}, signal);
      await access(dirname(path), fsConstants.W_OK | fsConstants.X_OK).catch((error: NodeJS.ErrnoException) => {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `cannot create ${path}: ${dirname(path)} is not writable (${error.code})`,
        });
      });
      return { ok: true, detail: `keytool runs; ${path} will be created in ${dirname(path)}` };
    },
  };
}
