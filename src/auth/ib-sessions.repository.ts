import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import { tokenHash } from '../shared/secret-hash.ts';

/** Idle timeout of the internet-banking session: 15 minutes without a request ends it. */
export const IB_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Absolute limit, however active the user is. */
export const IB_ABSOLUTE_TIMEOUT_MS = 8 * 60 * 60_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The audit type that records a session ended by the same user's login elsewhere. */
const SESSION_REPLACED = 'session.replaced';

/**
 * Starts a session and returns its token (256 random bits) for the cookie. Only the token's SHA-256 is
 * stored, so a database reader cannot ride sessions. Any earlier live session of the same user ends:
 * one browser per user at a time, as internet banking usually allows. Each one ended so is audited with
 * its token's hash (useless once the row is gone), so that browser can be told why it was logged out.
 */
export async function createIbSession(db: Db, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const idleSeconds = IB_IDLE_TIMEOUT_MS / 1000;
  const replaced = await db
    .selectFrom('ib_sessions')
    .innerJoin('users', 'users.id', 'ib_sessions.user_id')
    .select(['ib_sessions.token_hash', 'users.customer_id', 'users.login_id'])
    .where('ib_sessions.user_id', '=', userId)
    .where('ib_sessions.expires_at', '>', sql<Date>`now()`)
    .where('ib_sessions.last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${idleSeconds})`)
    .execute();
  for (const r of replaced) {
    await recordAudit(db, { type: SESSION_REPLACED, customerId: r.customer_id, actorUserId: userId, actorLoginId: r.login_id, details: { session: r.token_hash } });
  }
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

/**
 * Why a token names no live session, when it is known: `replaced` when a login elsewhere ended it (within
 * the absolute lifetime a session could have had), otherwise undefined (expired, logged out, unknown).
 */
export async function endedSessionReason(db: Db, token: string | undefined): Promise<'replaced' | undefined> {
  if (!token || !TOKEN.test(token)) return undefined;
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('type', '=', SESSION_REPLACED)
    .where('occurred_at', '>', new Date(Date.now() - IB_ABSOLUTE_TIMEOUT_MS))
    .where(sql<string>`details->>'session'`, '=', tokenHash(token))
    .limit(1)
    .executeTakeFirst();
  return row ? 'replaced' : undefined;
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
