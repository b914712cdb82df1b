import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Runs `fn` in the caller's transaction when given one, otherwise in a new one: services stay
 * composable (a caller can wrap several in one transaction) and never half-write on their own.
 */
export function inTransaction<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return db.transaction().execute(fn);
}
