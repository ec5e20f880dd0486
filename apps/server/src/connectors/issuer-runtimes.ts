import type { ConnectorRegistry, ConnectorRuntime } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { createInstanceRuntimes, type InstanceRuntimes } from './instance-runtimes.js';

export type IssuerRuntime = ConnectorRuntime<'issuer'>;

export type IssuerRuntimes = InstanceRuntimes<'issuer'>;

export function createIssuerRuntimes(db: Executor, registry: ConnectorRegistry, cipher: ConfigCipher): IssuerRuntimes {
  return createInstanceRuntimes('issuer', db, registry, cipher);
}
