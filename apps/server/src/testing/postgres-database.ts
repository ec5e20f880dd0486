import { randomBytes } from 'node:crypto';
import { ensurePostgres } from '@certctl/tooling/services';
import pg from 'pg';

export interface ScratchPostgres {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty PostgreSQL database for one test file, so files run in parallel without sharing rows. */
export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const adminUrl = await ensurePostgres();
  const name = `certctl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
