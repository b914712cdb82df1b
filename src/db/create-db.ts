import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Closes the pool or the embedded instance; safe to call twice. */
  close(): Promise<void>;
}

// OIDs of the types whose default JS mapping would lose information or shift across time zones.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const identity = (v: string): string => v;

/** Dates stay `YYYY-MM-DD` strings (a calendar date has no time zone); int8 and numeric stay exact strings. */
const parsers: Record<number, (value: string) => unknown> = { [INT8]: identity, [NUMERIC]: identity, [DATE]: identity };

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const own = parsers[oid];
    if (own && format !== 'binary') return own;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface CreateDbOptions {
  /** postgres://… → a pg Pool against that server. Undefined → PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; undefined → in memory. */
  pgliteDir?: string | undefined;
  poolSize?: number;
}

/** Opens the database renkei runs on: PostgreSQL when a URL is given, the embedded PGlite otherwise (DESIGN §3). */
export async function createDb(options: CreateDbOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes,
      connectionTimeoutMillis: 5_000,
      // A dead server must not leave requests hanging: queries give up and the caller answers 503.
      query_timeout: 30_000,
    });
    // A connection dropping (server restart, network cut) must never crash the process: pg emits
    // 'error' on the client, idle or checked out, and an unhandled 'error' event is fatal. The
    // query in flight still fails with the error and its request answers 503.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: once(() => db.destroy()) };
  }
  if (options.pgliteDir) await mkdir(path.resolve(options.pgliteDir), { recursive: true });
  const pglite = await PGlite.create(options.pgliteDir ? path.resolve(options.pgliteDir) : undefined, { parsers });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return { db, kind: 'pglite', close: once(() => db.destroy()) };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** The database the configuration names: DATABASE_URL, or the embedded one in DATA_DIR/pglite. */
export function openConfiguredDb(
  config: { databaseUrl: string | undefined; dataDir: string; databasePoolSize: number },
  poolSize = config.databasePoolSize,
): Promise<DatabaseHandle> {
  return createDb({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), poolSize });
}
