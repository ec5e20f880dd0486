import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  type KeyAlgorithmName,
  publicKeyOf,
} from '@certctl/pki';
import { ensurePrivateDir, readOptionalFile, writePrivateFile } from './private-files.js';

/**
 * The key algorithm a work item asks for, as the server words it from the profile's first allowed
 * algorithm (`ECDSA-256`, `RSA-2048`, `Ed25519`): the smallest of ours that satisfies the minimum.
 * Nothing named: ECDSA P-256.
 */
export function keyAlgorithmFor(profileAlgorithm: string | undefined): KeyAlgorithmName {
  if (!profileAlgorithm) return 'ecdsa-p256';
  const match = /^(RSA|ECDSA|Ed25519)(?:-(\d+))?$/i.exec(profileAlgorithm.trim());
  if (!match)
    throw new Error(
      `the server asked for key algorithm "${profileAlgorithm}", which this agent does not know (RSA-<bits>, ECDSA-<bits>, Ed25519)`,
    );
  const family = match[1]?.toUpperCase();
  const size = Number(match[2] ?? 0);
  if (family === 'ED25519') return 'ed25519';
  if (family === 'ECDSA') {
    if (size <= 256) return 'ecdsa-p256';
    if (size <= 384) return 'ecdsa-p384';
    throw new Error(`ECDSA keys of at least ${size} bits are not supported (P-256 and P-384 are)`);
  }
  if (size <= 2048) return 'rsa-2048';
  if (size <= 3072) return 'rsa-3072';
  if (size <= 4096) return 'rsa-4096';
  throw new Error(`RSA keys of at least ${size} bits are not supported (up to 4096)`);
}

export interface LocalKey {
  path: string;
  pem: string;
}

const spkiOf = (keyPem: string) => createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });

/**
 * Private keys live only here: `<keyDir>/<certificate id>/<job id>.key`, 0600 in 0700 dirs. The
 * file name is fixed by the job, so a restart in the middle of a job finds the key it made instead
 * of making a second one. Old keys stay until a certificate for a newer key is confirmed deployed.
 */
export function createKeyStore(keyDir: string) {
  const certDir = (certificateId: string) => join(keyDir, certificateId.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_'));
  const pathFor = (certificateId: string, jobId: string) =>
    join(certDir(certificateId), `${jobId.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_')}.key`);

  return {
    pathFor,
    /** The job's key: the one already on disk, or a new one of the given algorithm. */
    async keyForJob(
      certificateId: string,
      jobId: string,
      algorithm: KeyAlgorithmName,
    ): Promise<LocalKey & { keys: CryptoKeyPair; created: boolean }> {
      const path = pathFor(certificateId, jobId);
      await ensurePrivateDir(certDir(certificateId));
      const existing = await readOptionalFile(path);
      if (existing) {
        const privateKey = await importPrivateKey(existing);
        return { path, pem: existing, keys: { privateKey, publicKey: await publicKeyOf(privateKey) }, created: false };
      }
      const keys = await generateKeyPair({ algorithm });
      const pem = exportPrivateKeyPem(keys.privateKey);
      await writePrivateFile(path, pem);
      return { path, pem, keys, created: true };
    },
    /** The local key whose public half is in the certificate (given as its SPKI DER), if any. */
    async keyMatching(certificateId: string, spki: Uint8Array): Promise<LocalKey | undefined> {
      const dir = certDir(certificateId);
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => n.endsWith('.key'));
      } catch {
        return undefined;
      }
      for (const name of names) {
        const path = join(dir, name);
        const pem = await readOptionalFile(path);
        if (pem && Buffer.from(spkiOf(pem)).equals(Buffer.from(spki))) return { path, pem };
      }
      return undefined;
    },
    /** Removes the certificate's keys older than the confirmed one (newer ones may belong to a renewal in flight). */
    async retireOlderThan(certificateId: string, confirmedPath: string): Promise<string[]> {
      const dir = certDir(certificateId);
      const confirmed = await stat(confirmedPath);
      const removed: string[] = [];
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (path === confirmedPath || !name.endsWith('.key')) continue;
        if ((await stat(path)).mtimeMs < confirmed.mtimeMs) {
          await unlink(path);
          removed.push(path);
        }
      }
      return removed;
    },
  };
}
export type KeyStore = ReturnType<typeof createKeyStore>;
