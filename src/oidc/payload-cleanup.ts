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
