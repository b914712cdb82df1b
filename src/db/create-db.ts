import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { isDatabaseUnavailable } from '../shared/db-errors.ts';
import { preparedName } from './prepared-query.ts';
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
  /** PGlite only: the data directory as an uncompressed tar (see `pgliteDump`). */
  dumpDataDir?(): Promise<Blob>;
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
  /**
   * PGlite only: start from this data directory dump (`PGlite.dumpDataDir`) instead of running initdb,
   * e.g. a migrated template shared by test processes.
   */
  pgliteDump?: Blob | undefined;
  /**
   * PostgreSQL only: how long one statement may run, in milliseconds (0: no limit). The default,
   * REQUEST_STATEMENT_TIMEOUT_MS, keeps every request's answer, a 503 included, well inside 3 s when
   * the server or the path to it stops answering. Work that legitimately runs longer (a migration on
   * large tables, a scheduled sweep) opens its own handle with a larger budget, e.g. 60_000.
   */
  statementTimeoutMs?: number;
}

/** One statement of a request: far above any query a page or API call makes, far below the request timeout. */
const REQUEST_STATEMENT_TIMEOUT_MS = 1_500;
/** Past the server's own statement timeout, no answer at all means the path is gone, not a slow query. */
const READ_TIMEOUT_MARGIN_MS = 500;
/** A TCP connection and PostgreSQL's start-up, or the wait for a free pooled connection. */
const CONNECT_TIMEOUT_MS = 1_500;

/** Opens the database renkei runs on: PostgreSQL when a URL is given, the embedded PGlite otherwise (DESIGN §3). */
export async function createDb(options: CreateDbOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? REQUEST_STATEMENT_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A dead server or a black-holed path must not leave requests hanging: the server cancels a
      // statement past its budget, and the client gives up waiting shortly after, so the caller
      // answers 503 long before the request timeout. Keepalive finds idle connections whose peer is gone.
      statement_timeout: statementTimeout || undefined,
      query_timeout: statementTimeout ? statementTimeout + READ_TIMEOUT_MARGIN_MS : undefined,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // A connection dropping (server restart, network cut) must never crash the process: pg emits
    // 'error' on the client, idle or checked out, and an unhandled 'error' event is fatal. The
    // query in flight still fails with the error and its request answers 503.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      dropOnReadTimeout(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: failingFastInOneRequest(pool) }) });
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
  const pglite = await PGlite.create(options.pgliteDir ? path.resolve(options.pgliteDir) : undefined, {
    parsers,
    ...(options.pgliteDump ? { loadDataDir: options.pgliteDump } : {}),
  });
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
    dumpDataDir: () => pglite.dumpDataDir('none'),
    close: once(() => db.destroy()),
  };
}

/** The request a query belongs to, when its caller said (see asOneRequest). */
const requestScope = new AsyncLocalStorage<{ unreachable?: unknown }>();

/**
 * Runs `fn` as one request: once the database proved unreachable in it (a connection refused or timed
 * out, a query unanswered), its later queries fail at once instead of waiting out their own timeouts,
 * so code that retries after a failure (oidc-provider looks the client up again to word its error)
 * cannot double the time to the 503.
 */
export function asOneRequest<T>(fn: () => Promise<T>): Promise<T> {
  return requestScope.run({}, fn);
}

function failingFastInOneRequest(pool: pg.Pool) {
  return {
    async connect() {
      const scope = requestScope.getStore();
      if (scope?.unreachable) throw scope.unreachable;
      try {
        return await pool.connect();
      } catch (err) {
        if (scope && isDatabaseUnavailable(err)) scope.unreachable = err;
        throw err;
      }
    },
    end: () => pool.end(),
    // Kysely opens a separate connection from these to cancel a query.
    Client: (pool as unknown as { Client: typeof pg.Client }).Client,
    options: pool.options,
  };
}

/**
 * A query that got no answer at all still holds its connection: pg keeps it as the connection's
 * active query and queues every later one behind it, so the pool would hand out a dead connection
 * until TCP gives up, minutes later. Closing it at once lets the pool open a fresh one.
 */
function dropOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    // A statement of preparedQuery (src/db/prepared-query.ts) goes as a named one: parsed once per connection.
    const name = typeof args[0] === 'string' ? preparedName(args[0]) : undefined;
    const result = name === undefined ? query(...args) : query({ name, text: args[0], values: args[1] }, ...args.slice(2));
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Query read timeout') {
          const scope = requestScope.getStore();
          if (scope) scope.unreachable = err;
          (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        }
      });
    }
    return result;
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

/**
 * The database the configuration names: DATABASE_URL, or the embedded one in DATA_DIR/pglite.
 * `budget` gives long-running work (migrations, scheduled sweeps) its own statement timeout.
 */
export function openConfiguredDb(
  config: { databaseUrl: string | undefined; dataDir: string; databasePoolSize: number },
  poolSize = config.databasePoolSize,
  budget: Pick<CreateDbOptions, 'statementTimeoutMs'> = {},
): Promise<DatabaseHandle> {
  return createDb({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), poolSize, ...budget });
}
