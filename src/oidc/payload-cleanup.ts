import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { purgeExpired } from '../db/purge-expired.ts';

/**
 * Deletes protocol artifacts (sessions, interactions, codes, grants, proofs' replay records, ...) that
 * expired more than `graceSeconds` before `now`; the provider already ignores them (clockTolerance),
 * this keeps the table small. In short batches, safe to run from every instance at once.
 * @returns how many rows were removed
 */
export async function deleteExpiredPayloads(db: Kysely<Database>, opts: { now?: Date; graceSeconds?: number } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  return purgeExpired(db, 'oidc_payloads', new Date(now.getTime() - (opts.graceSeconds ?? 60) * 1000));
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
