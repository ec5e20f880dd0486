import type { ConnectorRegistry, ConnectorRuntime } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { createInstanceRuntimes, type InstanceRuntimes } from './instance-runtimes.js';

export type NotifierRuntime = ConnectorRuntime<'notifier'>;

export type NotifierRuntimes = InstanceRuntimes<'notifier'>;

export function createNotifierRuntimes(
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
): NotifierRuntimes {
  return createInstanceRuntimes('notifier', db, registry, cipher);
}
