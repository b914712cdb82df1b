import type { Db } from '../db/transaction.ts';
import { purgeExpired } from '../db/purge-expired.ts';

/**
 * Deletes the changes entered on a ビジネスID管理 screen and never confirmed in time, and the メールトークン
 * whose time is up (DESIGN §5): neither can confirm anything any more, and the tokens' hashes are
 * worth nothing to keep. Rows still inside their time are left alone, used or not.
 * @returns how many of each were deleted
 */
export async function purgeExpiredConfirmations(db: Db, now: Date): Promise<{ pendingChanges: number; mailTokens: number }> {
  const mailTokens = await purgeExpired(db, 'email_tokens', now);
  const pendingChanges = await purgeExpired(db, 'pending_changes', now);
  return { pendingChanges, mailTokens };
}
