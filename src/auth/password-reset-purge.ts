import type { Db } from '../db/transaction.ts';
import { purgeExpired } from '../db/purge-expired.ts';

/**
 * Deletes password resets (URL token and 認証番号, seed 003 §4-4) whose time is up: they can no longer
 * reset anything. Live ones stay, used or not.
 * @returns how many were deleted
 */
export function purgeExpiredPasswordResets(db: Db, now: Date): Promise<number> {
  return purgeExpired(db, 'password_resets', now);
}
