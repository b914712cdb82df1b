import { createHash, createHmac, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { defineTexts, translate, type Lang } from '../shared/i18n.ts';
import { codeHash, codesEqual, randomDigits, verifySecret } from '../shared/secret-hash.ts';

/**
 * Confirmation of every ビジネスID管理 change (DESIGN §5): the change is stored server-side
 * when the input screen is submitted; the confirmation screen mails a 6-digit メールトークン bound to the
 * SHA-256 of that exact change; 登録/実行 needs the actor's 取引パスワード and that token.
 */

/** How long a メールトークン works (the screens and the mail say so in minutes). */
const MAIL_TOKEN_TTL_MS = 10 * 60_000;
export const MAIL_TOKEN_TTL_MINUTES = MAIL_TOKEN_TTL_MS / 60_000;
/** Wrong codes a メールトークン survives. */
const MAX_MAIL_TOKEN_ATTEMPTS = 5;
/** A change not confirmed within this time must be entered again. */
const PENDING_CHANGE_TTL_MS = 30 * 60_000;
/** Wrong 取引パスワード in a row before it locks (users.transaction_password_locked_at). */
export const MAX_TRANSACTION_PASSWORD_FAILURES = 5;

export interface PendingChange {
  id: string;
  kind: string;
  payload: unknown;
  subjectHash: string;
}

export interface ConfirmActor {
  id: string;
  customerId: string;
  loginId: string;
  email: string;
}

/** JSON with object keys sorted at every level: the same change always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function subjectHashOf(id: string, kind: string, payload: unknown): string {
  return createHash('sha256').update(canonicalJson({ id, kind, payload })).digest('hex');
}

/** The key that hashes short codes: derived from KEY_ENCRYPTION_KEY, never the key itself. */
export function deriveCodeKey(keyEncryptionKey: Buffer): Buffer {
  return createHmac('sha256', keyEncryptionKey).update('renkei one-time codes v1').digest();
}

/** Stores a change entered by `actor`; returns its id for the confirmation screen. */
export async function proposeChange(db: Db, actor: ConfirmActor, kind: string, payload: unknown): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('pending_changes')
    .values({
      id, customer_id: actor.customerId, actor_user_id: actor.id, kind, payload: JSON.stringify(payload),
      subject_hash: subjectHashOf(id, kind, payload), expires_at: new Date(Date.now() + PENDING_CHANGE_TTL_MS),
    })
    .execute();
  return id;
}

/** The actor's own unconfirmed, unexpired change; `change_expired` (410) otherwise. */
export async function loadPendingChange(db: Db, actor: ConfirmActor, id: string, kind?: string): Promise<PendingChange> {
  if (!isUuid(id)) throw new AppError(404, 'not_found');
  const row = await db
    .selectFrom('pending_changes')
    .select(['id', 'kind', 'payload', 'subject_hash'])
    .where('id', '=', id)
    .where('actor_user_id', '=', actor.id)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  if (!row || (kind !== undefined && row.kind !== kind)) throw new AppError(410, 'change_expired');
  // The stored payload must still hash to what the token will be bound to.
  if (subjectHashOf(row.id, row.kind, row.payload) !== row.subject_hash) throw new AppError(410, 'change_expired');
  return { id: row.id, kind: row.kind, payload: row.payload, subjectHash: row.subject_hash };
}

/** True when a usable メールトークン for this change exists (the screen then does not mail another). */
export async function hasLiveMailToken(db: Db, actor: ConfirmActor, change: PendingChange): Promise<boolean> {
  const row = await db
    .selectFrom('email_tokens')
    .select('id')
    .where('user_id', '=', actor.id)
    .where('subject_hash', '=', change.subjectHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('attempts', '<', MAX_MAIL_TOKEN_ATTEMPTS)
    .executeTakeFirst();
  return row !== undefined;
}

/** The mail that carries a メールトークン; its lifetime is the constant that enforces it. */
const MAIL_TOKEN_MAIL = defineTexts({
  subject: { ja: '【れんけい銀行】メールトークンのお知らせ', en: '[renkei] Your mail token' },
  text: (code: string) => ({
    ja: `メールトークン: ${code}\n\n有効期限は${MAIL_TOKEN_TTL_MINUTES}分間です。現在確認中のお手続きにのみ使用できます。\nお心当たりのない場合は、管理者またはカスタマーセンターへご連絡ください。\n`,
    en: `Your mail token is ${code}.\nIt is valid for ${MAIL_TOKEN_TTL_MINUTES} minutes and only for the change you are confirming now.\nIf you did not request it, contact your administrator.\n`,
  }),
});

/**
 * Issues a new メールトークン for the change (再発行 included): earlier tokens for it stop working, the new
 * one is valid {@link MAIL_TOKEN_TTL_MS}. Its mail is written to the outbox with it, in one transaction.
 * @returns the outbox row of the mail, for the caller to deliver after the commit
 */
export async function issueMailToken(db: Db, codeKey: Buffer, actor: ConfirmActor, change: PendingChange, lang: Lang = 'ja'): Promise<string> {
  const id = randomUUID();
  const code = randomDigits(6);
  const mail: MailMessage = {
    to: actor.email,
    subject: translate(MAIL_TOKEN_MAIL, lang).subject,
    text: translate(MAIL_TOKEN_MAIL, lang).text(code),
  };
  return inTransaction(db, async (trx) => {
    await trx
      .updateTable('email_tokens')
      .set({ consumed_at: sql<Date>`now()` })
      .where('user_id', '=', actor.id)
      .where('subject_hash', '=', change.subjectHash)
      .where('consumed_at', 'is', null)
      .execute();
    await trx
      .insertInto('email_tokens')
      .values({
        id, user_id: actor.id, purpose: change.kind, subject_hash: change.subjectHash,
        code_hash: codeHash(codeKey, id, code), expires_at: new Date(Date.now() + MAIL_TOKEN_TTL_MS),
      })
      .execute();
    const [mailId] = await enqueueMails(trx, [mail]);
    return mailId!;
  });
}

/**
 * Checks the actor's 取引パスワード and the メールトークン, then consumes both the token and the change and
 * runs `apply` in ONE transaction: the change happens exactly once or not at all.
 *
 * Failures are counted outside that transaction so they stick: a wrong 取引パスワード counts toward its
 * lockout (5 → transaction_password_locked_at); every evaluation of a code, right or wrong, takes one of the
 * token's 5 attempts first.
 */
export async function confirmChange<R>(
  db: Db,
  opts: { codeKey: Buffer; actor: ConfirmActor; changeId: string; kind?: string; transactionPassword: string; mailToken: string; context?: RequestContext },
  apply: (trx: Transaction<Database>, change: PendingChange) => Promise<R>,
): Promise<R> {
  const { actor } = opts;
  const change = await loadPendingChange(db, actor, opts.changeId, opts.kind);
  const user = await db
    .selectFrom('users')
    .select(['transaction_password_hash', 'transaction_password_locked_at'])
    .where('id', '=', actor.id)
    .executeTakeFirstOrThrow();
  const audit = { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, context: opts.context };
  if (user.transaction_password_locked_at !== null || user.transaction_password_hash === null) {
    throw new AppError(403, 'transaction_password_locked');
  }
  if (!(await verifySecret(user.transaction_password_hash, opts.transactionPassword))) {
    const counted = await countTransactionPasswordFailure(db, actor.id);
    await recordAudit(db, { ...audit, type: 'transaction_password.failure', outcome: 'failure', details: { purpose: change.kind, failures: counted.failures } });
    if (counted.lockedNow) {
      await recordAudit(db, { ...audit, type: 'transaction_password.locked', outcome: 'failure', details: { purpose: change.kind } });
      throw new AppError(403, 'transaction_password_locked');
    }
    throw new AppError(400, 'transaction_password_wrong');
  }

  // One conditional UPDATE claims an attempt on the change's newest live token: only a request whose
  // increment succeeded compares the code, so parallel guesses get exactly MAX_MAIL_TOKEN_ATTEMPTS evaluations.
  const token = await db
    .updateTable('email_tokens')
    .set((eb) => ({ attempts: sql<number>`${eb.ref('attempts')} + 1` }))
    .where('id', '=', (eb) => eb
      .selectFrom('email_tokens as newest')
      .select('newest.id')
      .where('newest.user_id', '=', actor.id)
      .where('newest.subject_hash', '=', change.subjectHash)
      .where('newest.consumed_at', 'is', null)
      .where('newest.expires_at', '>', sql<Date>`now()`)
      .orderBy('newest.created_at', 'desc')
      .limit(1))
    .where('attempts', '<', MAX_MAIL_TOKEN_ATTEMPTS)
    .where('consumed_at', 'is', null)
    .returning(['id', 'code_hash', 'attempts'])
    .executeTakeFirst();
  const code = opts.mailToken.trim();
  if (!token || !/^[0-9]{6}$/.test(code) || !codesEqual(codeHash(opts.codeKey, token.id, code), token.code_hash)) {
    const usedUp = token ? token.attempts >= MAX_MAIL_TOKEN_ATTEMPTS : await hasUsedUpMailToken(db, actor, change);
    await recordAudit(db, { ...audit, type: 'mail_token.failure', outcome: 'failure', details: { purpose: change.kind, reason: token ? 'wrong_code' : usedUp ? 'attempts_used_up' : 'no_live_token' } });
    throw usedUp ? mailTokenUsedUp() : new AppError(400, 'mail_token_invalid');
  }

  return inTransaction(db, async (trx) => {
    const consumed = await trx
      .updateTable('email_tokens')
      .set({ consumed_at: sql<Date>`now()` })
      .where('id', '=', token.id)
      .where('consumed_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!consumed) throw new AppError(400, 'mail_token_invalid');
    const done = await trx
      .updateTable('pending_changes')
      .set({ consumed_at: sql<Date>`now()` })
      .where('id', '=', change.id)
      .where('consumed_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!done) throw new AppError(410, 'change_expired');
    await trx.updateTable('users').set({ transaction_password_failed_count: 0 }).where('id', '=', actor.id).where('transaction_password_locked_at', 'is', null).execute();
    return apply(trx, change);
  });
}

/** The refusal once a メールトークン has taken its last wrong code: it says so, and what to do. */
function mailTokenUsedUp(): AppError {
  return new AppError(400, 'mail_token_invalid', {
    message: {
      ja: `メールトークンの入力回数が上限（${MAX_MAIL_TOKEN_ATTEMPTS}回）に達したため、このメールトークンは使用できません。「再発行」で新しいメールトークンを受け取ってください。`,
      en: `This mail token has been entered wrongly ${MAX_MAIL_TOKEN_ATTEMPTS} times and can no longer be used. Press “Send a new token” to receive a new one.`,
    },
  });
}

/** True when the change's newest unexpired, unconsumed メールトークン has no tries left. */
async function hasUsedUpMailToken(db: Db, actor: ConfirmActor, change: PendingChange): Promise<boolean> {
  const row = await db
    .selectFrom('email_tokens')
    .select('attempts')
    .where('user_id', '=', actor.id)
    .where('subject_hash', '=', change.subjectHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row !== undefined && row.attempts >= MAX_MAIL_TOKEN_ATTEMPTS;
}

/** The kind of one of the actor's own changes, confirmed or not (to send a replayed confirmation back to its screen). */
export async function changeKindOf(db: Db, actor: ConfirmActor, id: string): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await db.selectFrom('pending_changes').select('kind').where('id', '=', id).where('actor_user_id', '=', actor.id).executeTakeFirst();
  return row?.kind;
}

/** One more wrong 取引パスワード in a single statement (row lock), locking at the 5th exactly once. */
export async function countTransactionPasswordFailure(db: Db, userId: string): Promise<{ failures: number; lockedNow: boolean }> {
  const max = MAX_TRANSACTION_PASSWORD_FAILURES;
  const row = await db
    .updateTable('users')
    .set((eb) => ({
      transaction_password_failed_count: sql<number>`least(${eb.ref('transaction_password_failed_count')} + 1, ${max})`,
      transaction_password_locked_at: sql<Date | null>`case when ${eb.ref('transaction_password_failed_count')} + 1 >= ${max} then now() else null end`,
      updated_at: sql<Date>`now()`,
    }))
    .where('id', '=', userId)
    .where('transaction_password_locked_at', 'is', null)
    .returning(['transaction_password_failed_count'])
    .executeTakeFirst();
  if (!row) return { failures: max, lockedNow: false };
  return { failures: row.transaction_password_failed_count, lockedNow: row.transaction_password_failed_count >= max };
}
