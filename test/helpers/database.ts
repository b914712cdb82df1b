import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type DatabaseHandle } from '../../src/db/create-db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { migrations } from '../../migrations/index.ts';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

/** The server tests run against when DATABASE_URL is set (CI: the machine's PostgreSQL). */
export const testDatabaseUrl: string | undefined = process.env.DATABASE_URL || undefined;

/**
 * A fresh, migrated database for one test file, closed (and on PostgreSQL dropped) at teardown.
 * PGlite in memory by default; with DATABASE_URL, a new database cloned from a migrated template,
 * so test files running in parallel never see each other's rows.
 */
export async function createTestDatabase(t: Teardownable, opts: { migrate?: boolean } = {}): Promise<DatabaseHandle & { url?: string }> {
  const migrate = opts.migrate ?? true;
  if (!testDatabaseUrl) {
    const handle = await createDb({});
    t.teardown(() => handle.close());
    if (migrate) await migrateToLatest(handle.db);
    return handle;
  }
  const name = `renkei_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = migrate ? await ensureTemplate() : 'template0';
  await withAdmin((c) => c.query(`create database ${name} template ${template}`));
  const handle = await createDb({ databaseUrl: urlFor(name), poolSize: 4 });
  t.teardown(async () => {
    await handle.close();
    await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
  });
  return Object.assign(handle, { url: urlFor(name) });
}

/** A URL on the same server as DATABASE_URL but naming another database. */
export function urlFor(database: string): string {
  const u = new URL(testDatabaseUrl!);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The migrated template, named after a hash of the migrations so a schema change makes a new one.
 * An advisory lock makes concurrent test processes build it once.
 */
async function ensureTemplate(): Promise<string> {
  const digest = createHash('sha256');
  for (const [name, m] of Object.entries(migrations)) digest.update(name).update(String(m.up)).update(String(m.down));
  const name = `renkei_tpl_${digest.digest('hex').slice(0, 12)}`;
  await withAdmin(async (c) => {
    await c.query('select pg_advisory_lock(724231)');
    try {
      const found = await c.query('select 1 from pg_database where datname = $1', [name]);
      if (found.rowCount) return;
      const building = `${name}_building`;
      await c.query(`drop database if exists ${building} with (force)`);
      await c.query(`create database ${building}`);
      const h = await createDb({ databaseUrl: urlFor(building), poolSize: 1 });
      try {
        await migrateToLatest(h.db);
        await sql`select 1`.execute(h.db);
      } finally {
        await h.close();
      }
      // Renaming last means a half-built template is never cloned.
      await c.query(`alter database ${building} rename to ${name}`);
      // Templates of older schemas are dead weight on the server.
      const old = await c.query<{ datname: string }>(
        "select datname from pg_database where datname like 'renkei\\_tpl\\_%' and datname <> $1 and datname not like '%\\_building'",
        [name],
      );
      for (const { datname } of old.rows) await c.query(`drop database if exists ${datname} with (force)`);
    } finally {
      await c.query('select pg_advisory_unlock(724231)');
    }
  });
  return name;
}
