import { type Kysely, sql } from 'kysely';
import { Migrator, NO_MIGRATIONS, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import { migrations } from '../../migrations/index.ts';

const provider: MigrationProvider = { getMigrations: async () => migrations };

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider });
}

class MigrationError extends Error {
  constructor(result: MigrationResultSet) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = (result.error as Error)?.message ?? String(result.error);
    super(failed ? `migration ${failed.migrationName} failed: ${reason}` : `migrations could not run: ${reason}`, {
      cause: result.error,
    });
    this.name = 'MigrationError';
  }
}

/**
 * Brings the schema to the newest migration. Kysely's Postgres adapter takes an advisory lock, so
 * several processes starting at once migrate exactly once. Returns the names it applied.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw new MigrationError(result);
  return (result.results ?? []).map((r) => r.migrationName);
}

/** Undoes every migration (tests and `db:migrate -- down`). */
export async function migrateDownAll(db: Kysely<any>): Promise<string[]> {
  const result = await migrator(db).migrateTo(NO_MIGRATIONS);
  if (result.error) throw new MigrationError(result);
  return (result.results ?? []).map((r) => r.migrationName);
}

/** Names of migrations not yet applied; empty when the schema is current. */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const list = await migrator(db).getMigrations();
  return list.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** True when the database answers a trivial query (used by /readyz). */
export async function databaseIsReachable(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
