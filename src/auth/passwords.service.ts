import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import {
  assertPassword, confirmationMismatch, LOGIN_PASSWORD_LABEL, samePasswords, TRANSACTION_PASSWORD_LABEL, type PasswordBounds,
} from './password-policy.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { lockUserInSetup } from './setup-purpose.ts';
import { AppError } from '../shared/errors.ts';
import { codeHash, codesEqual, hashSecret, randomDigits, tokenHash, verifySecret } from '../shared/secret-hash.ts';

/** 認証番号 attempts per reset mail (password_resets.attempts). */
export const MAX_RESET_CODE_ATTEMPTS = 5;
/** Seed 003 §4-4: the mailed URL and 認証番号 of a password reset are valid 30 minutes. */
export const RESET_CODE_TTL_MS = 30 * 60_000;
/** The lifetime as the screens and mails state it. */
export const RESET_CODE_TTL_MINUTES = RESET_CODE_TTL_MS / 60_000;

const resetInvalid = () => new AppError(400, 'reset_invalid', {
  message: {
    ja: `認証番号が正しくないか、有効期限（${RESET_CODE_TTL_MINUTES}分）が切れています。`,
    en: `The verification code (認証番号) is wrong or has expired (${RESET_CODE_TTL_MINUTES} minutes).`,
  },
});

/** What the screen says once a reset's 認証番号 tries are used up (its URL still valid otherwise). */
export const RESET_EXHAUSTED_MESSAGE = {
  ja: `認証番号の入力回数が上限（${MAX_RESET_CODE_ATTEMPTS}回）に達したため、このURLはご利用いただけません。管理者にログインパスワードの再設定を依頼してください。`,
  en: `The verification code (認証番号) was entered wrongly ${MAX_RESET_CODE_ATTEMPTS} times, so this URL can no longer be used. Ask your administrator for a new reset.`,
};

const resetExhausted = () => new AppError(410, 'reset_invalid', { message: RESET_EXHAUSTED_MESSAGE });

export interface SetupInput {
  transactionPassword: string;
  transactionPasswordConfirm: string;
  /** Optional (任意): empty strings mean "keep the current login password". */
  newLoginPassword: string;
  newLoginPasswordConfirm: string;
}

/**
 * 初回ログイン時の設定 (seed 003 §4-4): sets the 取引パスワード (必須) and optionally a new login password,
 * after which the user is `active`. The two passwords must differ.
 */
export async function completeFirstLoginSetup(
  db: Db,
  input: SetupInput & { userId: string; bounds: PasswordBounds; context?: RequestContext },
): Promise<void> {
  assertPassword(input.transactionPassword, input.bounds, TRANSACTION_PASSWORD_LABEL);
  if (input.transactionPassword !== input.transactionPasswordConfirm) throw confirmationMismatch();
  const changeLogin = input.newLoginPassword !== '' || input.newLoginPasswordConfirm !== '';
  if (changeLogin) {
    assertPassword(input.newLoginPassword, input.bounds, LOGIN_PASSWORD_LABEL);
    if (input.newLoginPassword !== input.newLoginPasswordConfirm) throw confirmationMismatch();
    if (input.newLoginPassword === input.transactionPassword) throw samePasswords();
  }
  const txHash = await hashSecret(input.transactionPassword);
  const loginHash = changeLogin ? await hashSecret(input.newLoginPassword) : undefined;
  await inTransaction(db, async (trx) => {
    // A user whose 取引パスワード alone was reset sets only that (completeTransactionPasswordReset).
    const user = await lockUserInSetup(trx, input.userId, 'first_login');
    if (!changeLogin && (await verifySecret(user.login_password_hash, input.transactionPassword))) throw samePasswords();
    await trx
      .updateTable('users')
      .set({
        transaction_password_hash: txHash, transaction_password_failed_count: 0, transaction_password_locked_at: null,
        status: 'active', updated_at: sql<Date>`now()`,
        ...(loginHash ? { login_password_hash: loginHash, password_changed_at: sql<Date>`now()` } : {}),
      })
      .where('id', '=', user.id)
      .execute();
    await recordAudit(trx, {
      type: 'user.setup_completed', customerId: user.customer_id, actorUserId: user.id, actorLoginId: user.login_id,
      details: { loginPasswordChanged: changeLogin }, context: input.context,
    });
  });
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Starts a login-password reset for one user (run in the caller's transaction, beside the change that
 * asks for it): any earlier open reset of the user ends; a URL token (256 random bits) and a 6-digit
 * 認証番号 are issued, valid RESET_CODE_TTL_MS, and only their hashes are stored.
 */
export async function issueLoginReset(db: Db, input: { userId: string; codeKey: Buffer }): Promise<{ token: string; code: string }> {
  const id = randomUUID();
  const token = randomBytes(32).toString('base64url');
  const code = randomDigits(6);
  await db.updateTable('password_resets').set({ consumed_at: sql<Date>`now()` }).where('user_id', '=', input.userId).where('consumed_at', 'is', null).execute();
  await db.insertInto('password_resets').values({
    id, user_id: input.userId, kind: 'login', token_hash: tokenHash(token), code_hash: codeHash(input.codeKey, id, code),
    expires_at: new Date(Date.now() + RESET_CODE_TTL_MS),
  }).execute();
  return { token, code };
}

/** The live login-password reset a mailed URL names, or undefined (unknown, used, expired, too many attempts). */
export async function findLoginReset(db: Db, token: string) {
  if (!TOKEN.test(token)) return undefined;
  return db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .select(['password_resets.id', 'password_resets.user_id', 'password_resets.code_hash', 'users.login_id', 'users.customer_id', 'users.status'])
    .where('password_resets.token_hash', '=', tokenHash(token))
    .where('password_resets.kind', '=', 'login')
    .where('password_resets.consumed_at', 'is', null)
    .where('password_resets.expires_at', '>', sql<Date>`now()`)
    .where('password_resets.attempts', '<', MAX_RESET_CODE_ATTEMPTS)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Whether the mailed URL names a reset that is still open and unexpired but whose 認証番号 tries are
 * used up (MAX_RESET_CODE_ATTEMPTS), so the screen can say so instead of "wrong or expired".
 */
export async function loginResetExhausted(db: Db, token: string): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  const row = await db
    .selectFrom('password_resets')
    .select('id')
    .where('token_hash', '=', tokenHash(token))
    .where('kind', '=', 'login')
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('attempts', '>=', MAX_RESET_CODE_ATTEMPTS)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * ログインパスワード再設定 by the user (seed 003 §4-4): the mailed URL plus its 認証番号 (RESET_CODE_TTL_MS,
 * MAX_RESET_CODE_ATTEMPTS) set a new login password; the 取引パスワード is cleared so the user repeats 初回ログイン時の設定.
 */
export async function completeLoginReset(
  db: Db,
  input: { token: string; code: string; newPassword: string; newPasswordConfirm: string; codeKey: Buffer; bounds: PasswordBounds; context?: RequestContext },
): Promise<{ loginId: string }> {
  const reset = await findLoginReset(db, input.token);
  if (!reset || reset.status !== 'reset_pending') throw (await loginResetExhausted(db, input.token)) ? resetExhausted() : resetInvalid();
  // The new password's rules first: a correct 認証番号 with a rejected password must not cost a try.
  assertPassword(input.newPassword, input.bounds, LOGIN_PASSWORD_LABEL);
  if (input.newPassword !== input.newPasswordConfirm) throw confirmationMismatch();
  // One conditional UPDATE claims a try; only a request whose increment succeeded compares the code, so
  // parallel guesses get exactly MAX_RESET_CODE_ATTEMPTS evaluations.
  const claimed = await db
    .updateTable('password_resets')
    .set((eb) => ({ attempts: sql<number>`${eb.ref('attempts')} + 1` }))
    .where('id', '=', reset.id)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('attempts', '<', MAX_RESET_CODE_ATTEMPTS)
    .returning('attempts')
    .executeTakeFirst();
  if (!claimed) throw (await loginResetExhausted(db, input.token)) ? resetExhausted() : resetInvalid();
  const code = input.code.trim();
  if (!/^[0-9]{6}$/.test(code) || !codesEqual(codeHash(input.codeKey, reset.id, code), reset.code_hash)) {
    await recordAudit(db, { type: 'password.reset_code_failure', outcome: 'failure', customerId: reset.customer_id, actorUserId: reset.user_id, actorLoginId: reset.login_id, context: input.context });
    throw claimed.attempts >= MAX_RESET_CODE_ATTEMPTS ? resetExhausted() : resetInvalid();
  }
  const hash = await hashSecret(input.newPassword);
  await inTransaction(db, async (trx) => {
    const used = await trx.updateTable('password_resets').set({ consumed_at: sql<Date>`now()` }).where('id', '=', reset.id).where('consumed_at', 'is', null).returning('id').executeTakeFirst();
    if (!used) throw resetInvalid();
    await trx
      .updateTable('users')
      .set({
        login_password_hash: hash, password_changed_at: sql<Date>`now()`, status: 'setup_required', locked_at: null, login_failed_count: 0,
        transaction_password_hash: null, transaction_password_failed_count: 0, transaction_password_locked_at: null, updated_at: sql<Date>`now()`,
      })
      .where('id', '=', reset.user_id)
      .where('status', '=', 'reset_pending')
      .execute();
    await recordAudit(trx, { type: 'password.login_reset_completed', customerId: reset.customer_id, actorUserId: reset.user_id, actorLoginId: reset.login_id, context: input.context });
  });
  return { loginId: reset.login_id };
}
