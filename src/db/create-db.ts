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
  /**
   * PostgreSQL LISTEN: `onMessage` receives each payload on `channel`. While the listening connection
   * is down, notifications are lost, so on reconnecting `onMessage('*')` tells the listener to forget
   * everything it cached. Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
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
    const listeners: Array<() => Promise<void>> = [];
    return {
      db,
      kind: 'postgres',
      async listen(channel, onMessage) {
        const stop = await listenWithReconnect(options.databaseUrl!, channel, onMessage);
        listeners.push(stop);
        return stop;
      },
      close: once(async () => {
        await Promise.all(listeners.map((stop) => stop()));
        await db.destroy();
      }),
    };
  }
  if (options.pgliteDir) await mkdir(path.resolve(options.pgliteDir), { recursive: true });
  const pglite = await PGlite.create(options.pgliteDir ? path.resolve(options.pgliteDir) : undefined, { parsers });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    listen: async (channel, onMessage) => {
      const unlisten = await pglite.listen(channel, onMessage);
      return async () => {
        if (!pglite.closed) await unlisten();
      };
    },
    close: once(() => db.destroy()),
  };
}

/**
 * A dedicated connection for LISTEN (a pooled one would be handed to queries), reconnecting with a
 * growing delay when the server goes away, and reporting '*' after every reconnection.
 */
async function listenWithReconnect(url: string, channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let delay = 250;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    c.on('notification', (n) => { if (n.channel === channel) onMessage(n.payload ?? '*'); });
    c.on('error', () => {});
    c.on('end', () => {
      if (stopped) return;
      onMessage('*');
      setTimeout(() => { void connect().catch(() => {}); }, delay).unref();
      delay = Math.min(delay * 2, 10_000);
    });
    try {
      await c.connect();
      await c.query(`listen ${pg.Client.prototype.escapeIdentifier(channel)}`);
      client = c;
      delay = 250;
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => {});
  };
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
