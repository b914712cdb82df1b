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
 * Runs cleanup tasks (expired protocol rows, spent DPoP proofs, ...) every `everyMs` in the
 * background, never keeping the process alive and never overlapping; failures go to `onError`
 * instead of crashing: a database outage only postpones the next run.
 * @returns a function that stops it
 */
export function scheduleCleanup(
  tasks: Record<string, () => Promise<number>>,
  opts: { everyMs: number; onDeleted?: (task: string, n: number) => void; onError: (err: unknown) => void },
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.all(Object.entries(tasks).map(async ([name, task]) => {
      const n = await task();
      if (n > 0) opts.onDeleted?.(name, n);
    }))
      .catch(opts.onError)
      .finally(() => { running = false; });
  }, opts.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
