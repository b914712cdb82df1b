import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * Deletes protocol artifacts (sessions, interactions, codes, proofs' replay records, ...) that expired
 * more than `graceSeconds` ago; the provider already ignores them (clockTolerance), this keeps the
 * table small. Safe to run from every instance at once.
 * @returns how many rows were removed
 */
export async function deleteExpiredPayloads(db: Kysely<Database>, graceSeconds = 60): Promise<number> {
  const r = await db
    .deleteFrom('oidc_payloads')
    .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Runs the cleanup every `everyMs` in the background (never keeping the process alive), reporting
 * failures through `onError` instead of crashing: a database outage only postpones it.
 * @returns a function that stops it
 */
export function scheduleExpiredPayloadCleanup(
  db: Kysely<Database>,
  opts: { everyMs: number; onDeleted?: (n: number) => void; onError: (err: unknown) => void },
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deleteExpiredPayloads(db)
      .then((n) => { if (n > 0) opts.onDeleted?.(n); })
      .catch(opts.onError)
      .finally(() => { running = false; });
  }, opts.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
