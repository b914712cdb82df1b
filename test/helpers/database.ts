import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
    const handle = await createDb({ pgliteDump: migrate ? await pgliteTemplate() : undefined });
    t.teardown(() => handle.close());
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

/** A hash of every migration: a schema change makes new templates. */
function schemaDigest(): string {
  const digest = createHash('sha256');
  for (const [name, m] of Object.entries(migrations)) digest.update(name).update(String(m.up)).update(String(m.down));
  return digest.digest('hex').slice(0, 12);
}

/**
 * PGlite's counterpart of the PostgreSQL template: a dump of a migrated data directory in the system's
 * temporary folder, built once and loaded by every test process, which then skips initdb and the
 * migrations (most of a test file's start-up on PGlite). Written under another name and renamed, so a
 * process never loads a half-written dump; two processes building it at once just both write it.
 */
async function pgliteTemplate(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `renkei-pglite-template-${schemaDigest()}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const h = await createDb({});
    try {
      await migrateToLatest(h.db);
      const dump = await h.dumpDataDir!();
      const bytes = Buffer.from(await dump.arrayBuffer());
      const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      await writeFile(partial, bytes);
      await rename(partial, file);
      // Dumps of older schemas are dead weight (a reader that opened one keeps its file until done).
      for (const old of await readdir(os.tmpdir())) {
        const stale = old.startsWith('renkei-pglite-template-') && !file.endsWith(old) && !old.includes('.tar.');
        if (stale) await rm(path.join(os.tmpdir(), old), { force: true });
      }
      return new Blob([bytes]);
    } finally {
      await h.close();
    }
  }
}

/**
 * The migrated template, named after a hash of the migrations so a schema change makes a new one.
 * An advisory lock makes concurrent test processes build it once.
 */
async function ensureTemplate(): Promise<string> {
  const name = `renkei_tpl_${schemaDigest()}`;
  await withAdmin(async (c) => {
    await c.query('select pg_advisory_lock(724231)');
    try {
      const found = await c.query('select 1 from pg_database where datname = $1', [name]);
      if (found.rowCount) return;
      const building = `${name}_building`;
      await c.query(`drop database if exists ${building} with (force)`);
      await c.query(`create database ${building}`);
      const h = await createDb({ databaseUrl: urlFor(building), poolSize: 1, statementTimeoutMs: 0 });
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
