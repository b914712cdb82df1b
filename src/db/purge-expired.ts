import { sql } from 'kysely';
import type { Db } from './transaction.ts';

/** Tables whose rows stop counting at `expires_at` and are deleted afterwards (DESIGN §16). */
export type ExpiringTable = 'oidc_payloads' | 'dpop_proof_jtis' | 'revoked_access_tokens' | 'email_tokens' | 'password_resets' | 'pending_changes';

/**
 * Rows deleted per statement. Each statement stays a few milliseconds long, far inside the request
 * path's query timeout, and never holds many row locks at once, however much has piled up.
 */
const BATCH_SIZE = 500;
/** A bound on one call (250,000 rows): what is left waits for the next run. */
const MAX_BATCHES = 500;

/**
 * Deletes the rows of `table` that expired before `before`, in batches of {@link BATCH_SIZE} by
 * physical row address. The batch is picked with SKIP LOCKED, so two instances purging at once split
 * the work instead of waiting on each other, and a row a request is updating right now is left for
 * the next run.
 * @returns how many rows were deleted
 */
export async function purgeExpired(db: Db, table: ExpiringTable, before: Date, batchSize = BATCH_SIZE): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const r = await sql`
      delete from ${sql.table(table)}
      where ctid = any(array(
        select ctid from ${sql.table(table)} where expires_at < ${before} limit ${batchSize} for update skip locked
      ))`.execute(db);
    const n = Number(r.numAffectedRows ?? 0n);
    total += n;
    if (n < batchSize) break;
  }
  return total;
}
