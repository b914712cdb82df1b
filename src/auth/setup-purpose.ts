import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { AppError } from '../shared/errors.ts';
import { hashSecret, verifySecret } from '../shared/secret-hash.ts';
import { assertPassword, confirmationMismatch, samePasswords, TRANSACTION_PASSWORD_LABEL, type PasswordBounds } from './password-policy.ts';

/**
 * Why a `setup_required` user must set passwords before anything else: a new user (or one whose login
 * password was reset, seed 003 §4-4) does 初回ログイン時の設定; a user whose 取引パスワード alone an
 * administrator reset (seed 003 §4-5) does 取引パスワードの再設定 and keeps their login password.
 */
export type SetupPurpose = 'first_login' | 'transaction_password_reset';

/** The events that put a user into, or take them out of, `setup_required`, newest deciding. */
const SETUP_EVENTS = ['user.created', 'password.login_reset_completed', 'password.transaction_reset', 'user.setup_completed', 'user.transaction_password_set'];

/**
 * The purpose of the user's pending setup, read from the audit trail (the record of who reset what):
 * the newest of the events that start or end a setup. `users.status` alone cannot tell the two apart.
 */
export async function setupPurpose(db: Db, userId: string): Promise<SetupPurpose> {
  const last = await db
    .selectFrom('audit_events')
    .select('type')
    .where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject_user_id', '=', userId)]))
    .where('type', 'in', SETUP_EVENTS)
    .where('outcome', '=', 'success')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.type === 'password.transaction_reset' ? 'transaction_password_reset' : 'first_login';
}

/**
 * The user row, locked for the rest of the transaction, when the user's pending setup is of this
 * purpose; 409 `conflict` otherwise (finished meanwhile, another setup, gone). Both setups start here.
 */
export async function lockUserInSetup(trx: Db, userId: string, purpose: SetupPurpose) {
  const user = await trx
    .selectFrom('users')
    .select(['id', 'customer_id', 'login_id', 'status', 'login_password_hash'])
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!user || user.status !== 'setup_required' || (await setupPurpose(trx, user.id)) !== purpose) throw new AppError(409, 'conflict');
  return user;
}

/**
 * 取引パスワードの再設定 (seed 003 §4-5): the user sets a new 取引パスワード, different from their login
 * password, and is `active` again. The login password is not touched.
 */
export async function completeTransactionPasswordReset(
  db: Db,
  input: { userId: string; transactionPassword: string; transactionPasswordConfirm: string; bounds: PasswordBounds; context?: RequestContext },
): Promise<void> {
  assertPassword(input.transactionPassword, input.bounds, TRANSACTION_PASSWORD_LABEL);
  if (input.transactionPassword !== input.transactionPasswordConfirm) throw confirmationMismatch();
  const hash = await hashSecret(input.transactionPassword);
  await inTransaction(db, async (trx) => {
    const user = await lockUserInSetup(trx, input.userId, 'transaction_password_reset');
    if (await verifySecret(user.login_password_hash, input.transactionPassword)) throw samePasswords();
    await trx
      .updateTable('users')
      .set({ transaction_password_hash: hash, transaction_password_failed_count: 0, transaction_password_locked_at: null, status: 'active', updated_at: sql<Date>`now()` })
      .where('id', '=', user.id)
      .execute();
    await recordAudit(trx, {
      type: 'user.transaction_password_set', customerId: user.customer_id, actorUserId: user.id, actorLoginId: user.login_id, context: input.context,
    });
  });
}
