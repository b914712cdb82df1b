import { randomBytes } from 'node:crypto';
import type { Db } from '../db/transaction.ts';
import { tokenHash } from '../shared/secret-hash.ts';

/**
 * Issues an initial access token (RFC 7591 §3) to one partner: 256 random bits, shown once, stored
 * only as a SHA-256 hash. Clients registered with it belong to that partner.
 */
export async function issueInitialAccessToken(db: Db, partnerId: string, validDays?: number): Promise<{ token: string; expiresAt: Date | null }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = validDays ? new Date(Date.now() + validDays * 86_400_000) : null;
  await db.insertInto('initial_access_tokens').values({ partner_id: partnerId, token_hash: tokenHash(token), expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

/** Revokes every initial access token of a partner (e.g. when onboarding ends). */
export async function revokeInitialAccessTokens(db: Db, partnerId: string): Promise<number> {
  const r = await db.updateTable('initial_access_tokens').set({ revoked_at: new Date() })
    .where('partner_id', '=', partnerId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
