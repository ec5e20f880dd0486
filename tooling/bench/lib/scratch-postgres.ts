/** A fresh PostgreSQL database for one benchmark run, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
// @ts-expect-error plain ESM without types next to it
import { ensurePostgres } from '../../services/index.mjs';

// pg is the server's dependency; resolve it from there (tooling declares no dependencies).
const require = createRequire(new URL('../../../apps/server/package.json', import.meta.url));
export const pg = require('pg') as typeof import('pg');

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(prefix = 'certctl_bench'): Promise<ScratchDatabase> {
  const adminUrl: string = await ensurePostgres();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
