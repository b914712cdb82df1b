import { randomBytes } from 'node:crypto';
import { tokenHash } from '../shared/secret-hash.ts';
import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';

/** Idle timeout of the internet-banking session: 15 minutes without a request ends it. */
export const IB_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Absolute limit, however active the user is. */
export const IB_ABSOLUTE_TIMEOUT_MS = 8 * 60 * 60_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Starts a session and returns its token (256 random bits) for the cookie. Only the token's SHA-256 is
 * stored, so a database reader cannot ride sessions. Any earlier session of the same user ends: one
 * browser per user at a time, as internet banking usually allows.
 */
export async function createIbSession(db: Db, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // Housekeeping on the way: this user's earlier session, and anyone's that can no longer be used.
  await db.deleteFrom('ib_sessions').where((eb) => eb.or([
    eb('user_id', '=', userId),
    eb('expires_at', '<', sql<Date>`now()`),
    eb('last_seen_at', '<', sql<Date>`now() - make_interval(secs => ${IB_IDLE_TIMEOUT_MS / 1000})`),
  ])).execute();
  await db
    .insertInto('ib_sessions')
    .values({ token_hash: tokenHash(token), user_id: userId, expires_at: new Date(Date.now() + IB_ABSOLUTE_TIMEOUT_MS) })
    .execute();
  return token;
}

/**
 * The session's user when the token names a live session (seen within the idle timeout, before the
 * absolute limit), touching it in the same statement; undefined otherwise.
 */
export async function touchIbSession(db: Db, token: string | undefined): Promise<{ sessionId: string; userId: string } | undefined> {
  if (!token || !TOKEN.test(token)) return undefined;
  const idleSeconds = IB_IDLE_TIMEOUT_MS / 1000;
  const row = await db
    .updateTable('ib_sessions')
    .set({ last_seen_at: sql<Date>`now()` })
    .where('token_hash', '=', tokenHash(token))
    .where('expires_at', '>', sql<Date>`now()`)
    .where('last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${idleSeconds})`)
    .returning(['id', 'user_id'])
    .executeTakeFirst();
  return row ? { sessionId: row.id, userId: row.user_id } : undefined;
}

export async function endIbSession(db: Db, token: string | undefined): Promise<void> {
  if (!token || !TOKEN.test(token)) return;
  await db.deleteFrom('ib_sessions').where('token_hash', '=', tokenHash(token)).execute();
}

/** Ends every session of these users (deleted, reset, service cancelled). */
export async function endIbSessionsOfUsers(db: Db, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.deleteFrom('ib_sessions').where('user_id', 'in', userIds).execute();
}
