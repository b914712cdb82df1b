import type { Db } from '../db/transaction.ts';
import { purgeExpired } from '../db/purge-expired.ts';

/**
 * Forgets DPoP proofs older than any acceptable iat (RFC 9449 §11.1): a replay of one would be refused
 * as stale anyway. In short batches, safe from every instance at once.
 * @returns how many were deleted
 */
export function purgeSpentProofs(db: Db, now: Date): Promise<number> {
  return purgeExpired(db, 'dpop_proof_jtis', now);
}

/**
 * Forgets access tokens revoked through RFC 7009 a minute after they expired (past any clock
 * tolerance): the resource API then refuses them by their `exp` before it asks whether they were revoked.
 * @returns how many were deleted
 */
export function purgeExpiredRevocations(db: Db, now: Date): Promise<number> {
  return purgeExpired(db, 'revoked_access_tokens', new Date(now.getTime() - 60_000));
}
