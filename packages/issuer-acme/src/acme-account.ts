/**
 * The ACME account: an ECDSA P-256 key made on first use and the account URL the CA returned,
 * kept together in the instance's encrypted secret store and tied to the directory they belong to.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { ConnectorSecretStore } from '@certctl/core';

export const ACCOUNT_SECRET = 'acme_account';

export interface StoredAccount {
  directoryUrl: string;
  accountKeyPem: string;
  accountUrl: string;
}

export async function loadAccount(
  secrets: ConnectorSecretStore,
  directoryUrl: string,
): Promise<StoredAccount | undefined> {
  const raw = await secrets.get(ACCOUNT_SECRET);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredAccount>;
    if (typeof parsed.accountKeyPem !== 'string' || typeof parsed.accountUrl !== 'string') return undefined;
    // An account belongs to one CA: after a directory change the key is kept, the account is made again.
    if (parsed.directoryUrl !== directoryUrl)
      return { directoryUrl: '', accountKeyPem: parsed.accountKeyPem, accountUrl: '' };
    return parsed as StoredAccount;
  } catch {
    return undefined;
  }
}

export async function saveAccount(secrets: ConnectorSecretStore, account: StoredAccount): Promise<void> {
  await secrets.set(ACCOUNT_SECRET, JSON.stringify(account));
}

export function newAccountKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}
