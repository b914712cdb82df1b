import {
  CompiledQuery, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type Compilable,
} from 'kysely';
import type { Database } from './database.ts';
import type { Db } from './transaction.ts';

/**
 * Queries on the resource API's hot path, built with Kysely once at start-up instead of on every call,
 * and sent as named statements so PostgreSQL parses (and, once its plan cache settles, plans) each
 * once per connection instead of on every call (issue 15: building and compiling them was ~10 % of a
 * call's CPU, re-parsing them most of PostgreSQL's overhead over the bare baseline). Results are the
 * same rows: only the work around them goes.
 *
 * The statement's name rides in its text as a leading comment (`/* prepared NAME *\/`), which the pg
 * pool (src/db/create-db.ts) turns into `{ name, text, values }`; on PGlite it is just a comment.
 * Each query names its columns, so a migration adding columns leaves the prepared statements valid. A
 * pooler between renkei and PostgreSQL must keep protocol-level prepared statements (PgBouncer ≥ 1.21
 * with max_prepared_statements in transaction mode, or session mode).
 */
const PREPARED_PREFIX = '/* prepared ';

/** Compiles only: never connects (Kysely's documented set-up for building queries without a database). */
const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** Where a call's value goes: compiled as a parameter, found again by identity. */
class Slot {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
}

const names = new Set<string>();

/**
 * Builds `build`'s query once; `param(key)` stands for the call's `values[key]`, each key listed in
 * `keys` (constants in the query stay as they are). Returns the function that runs it with a call's
 * values on any handle, a transaction too.
 */
export function preparedQuery<const K extends string, O>(
  name: string,
  keys: readonly K[],
  build: (db: Kysely<Database>, param: (key: K) => never) => Compilable<O>,
): (db: Db, values: Readonly<Record<K, unknown>>) => Promise<O[]> {
  if (!/^[a-z0-9-]+$/.test(name) || names.has(name)) throw new Error(`preparedQuery: the name ${name} is invalid or taken`);
  names.add(name);
  const compiled = build(builder, (key) => new Slot(key) as never).compile();
  const sql = `${PREPARED_PREFIX}${name} */ ${compiled.sql}`;
  const template = compiled.parameters;
  const used = new Set(template.filter((v) => v instanceof Slot).map((v) => (v as Slot).key));
  if (keys.some((k) => !used.has(k))) throw new Error(`preparedQuery: ${name} does not use all of ${keys.join(', ')}`);
  return async (db, values) => {
    const parameters = template.map((v) => (v instanceof Slot ? values[v.key as K] : v));
    return (await db.executeQuery<O>(CompiledQuery.raw(sql, parameters))).rows;
  };
}

/** The name of a statement built by preparedQuery, from its text; undefined for any other text. */
export function preparedName(text: string): string | undefined {
  return text.startsWith(PREPARED_PREFIX) ? text.slice(PREPARED_PREFIX.length, text.indexOf(' */')) : undefined;
}
