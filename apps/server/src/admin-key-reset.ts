import { join } from 'node:path';
import type { ServerConfig } from './config/index.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { openDatabase } from './db/open-database.js';
import { resetBootstrapAdminKey } from './shared/api-keys.js';

export interface AdminKeyResetResult {
  key: string;
  revokedIds: string[];
  database: string;
}

/**
 * `certctl-server admin-key reset`: run on the server's machine with its environment, against its
 * database (the embedded one in CERTCTL_DATA_DIR, which must not be open in a running server, or
 * CERTCTL_DATABASE_URL). Revokes the bootstrap admin key and prints a new one once.
 */
export async function resetAdminKey(config: ServerConfig): Promise<AdminKeyResetResult> {
  const lock = config.database.url ? undefined : lockDataDir(config.dataDir);
  try {
    const database = await openDatabase({
      url: config.database.url,
      dataDir: join(config.dataDir, 'db'),
      maxConnections: 1,
    });
    try {
      const { key, revokedIds } = await resetBootstrapAdminKey(database.db);
      return {
        key,
        revokedIds,
        database: database.dialect === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL',
      };
    } finally {
      await database.close();
    }
  } finally {
    lock?.release();
  }
}
