import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import { verifySecret } from '../shared/secret-hash.ts';
import { visibleAccounts, type VisibleAccount } from './account-access.ts';
import { findUserIdentity } from './user-lookup.repository.ts';

/** DESIGN §6: 3 consecutive wrong PINs lock that account's PIN, across sessions and clients. */
export const MAX_PIN_FAILURES = 3;

export type PinRegistrationResult =
  | { outcome: 'registered' }
  | { outcome: 'wrong_pin'; remainingAttempts: number }
  | { outcome: 'locked' }
  /** The account is unknown, or the user may not see it: the same answer for both. */
  | { outcome: 'not_available' }
  | { outcome: 'invalid_format' };

const PIN_FORMAT = /^[0-9]{4}$/;

/**
 * Seed 000 手順3: the user proves the 照会用暗証番号 the holder filed for an account, which registers
 * the account for API use (kept across grants). Failures are counted on the account, in one UPDATE,
 * so concurrent attempts from any session or client cannot exceed the limit. PINs are never logged.
 */
export async function registerInquiryPin(
  db: Db,
  input: { userId: string; accountId: string; pin: string; context?: RequestContext | undefined },
): Promise<PinRegistrationResult> {
  const { userId, accountId, pin } = input;
  if (!PIN_FORMAT.test(pin)) return { outcome: 'invalid_format' };
  const [visible] = await visibleAccounts(db, userId, [accountId]);
  const user = visible && (await findUserIdentity(db, userId));
  if (!visible || !user) return { outcome: 'not_available' };
  const account = await db.selectFrom('accounts').select(['inquiry_pin_hash', 'pin_locked_at']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const audit = {
    customerId: user.customerId, actorUserId: userId, actorLoginId: user.loginId, context: input.context,
    details: { accountId: visible.publicId },
  };
  if (account.pin_locked_at || !account.inquiry_pin_hash) {
    await recordAudit(db, { ...audit, type: 'pin.failure', outcome: 'failure', details: { ...audit.details, reason: 'locked' } });
    return { outcome: 'locked' };
  }

  if (await verifySecret(account.inquiry_pin_hash, pin)) {
    const reset = await db
      .updateTable('accounts')
      .set({ pin_failed_count: 0 })
      .where('id', '=', accountId)
      .where('pin_locked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!reset) return { outcome: 'locked' };
    await db
      .insertInto('pin_registrations')
      .values({ user_id: userId, account_id: accountId, customer_id: user.customerId })
      .onConflict((oc) => oc.columns(['user_id', 'account_id']).doNothing())
      .execute();
    await recordAudit(db, { ...audit, type: 'pin.success' });
    return { outcome: 'registered' };
  }

  const counted = await db
    .updateTable('accounts')
    .set((eb) => ({
      pin_failed_count: sql<number>`least(${eb.ref('pin_failed_count')} + 1, ${MAX_PIN_FAILURES})`,
      pin_locked_at: sql<Date | null>`case when ${eb.ref('pin_failed_count')} + 1 >= ${MAX_PIN_FAILURES} then now() else null end`,
    }))
    .where('id', '=', accountId)
    .where('pin_locked_at', 'is', null)
    .returning(['pin_failed_count', 'pin_locked_at'])
    .executeTakeFirst();
  await recordAudit(db, { ...audit, type: 'pin.failure', outcome: 'failure', details: { ...audit.details, reason: 'wrong_pin', failures: counted?.pin_failed_count ?? MAX_PIN_FAILURES } });
  if (!counted || counted.pin_locked_at) {
    if (counted?.pin_locked_at) await recordAudit(db, { ...audit, type: 'pin.locked', outcome: 'failure' });
    return { outcome: 'locked' };
  }
  return { outcome: 'wrong_pin', remainingAttempts: MAX_PIN_FAILURES - counted.pin_failed_count };
}

export interface AccountPinStatus extends VisibleAccount {
  /** The user registered this account's PIN (in an earlier or this journey). */
  registered: boolean;
  /** The account's PIN is locked after too many wrong attempts (by anyone). */
  locked: boolean;
}

/** Which of the user's visible accounts are registered for API use, and which are locked. */
export async function pinStatusOfVisibleAccounts(db: Db, userId: string): Promise<AccountPinStatus[]> {
  const accounts = await visibleAccounts(db, userId);
  if (accounts.length === 0) return [];
  const ids = accounts.map((a) => a.id);
  const [registered, locks] = await Promise.all([
    db.selectFrom('pin_registrations').select('account_id').where('user_id', '=', userId).where('account_id', 'in', ids).execute(),
    db.selectFrom('accounts').select(['id', 'pin_locked_at']).where('id', 'in', ids).execute(),
  ]);
  const reg = new Set(registered.map((r) => r.account_id));
  const locked = new Set(locks.filter((l) => l.pin_locked_at).map((l) => l.id));
  return accounts.map((a) => ({ ...a, registered: reg.has(a.id), locked: locked.has(a.id) }));
}

/** Whether step 3 has something to do: a visible account neither registered nor locked. */
export async function hasPinToRegister(db: Db, userId: string): Promise<boolean> {
  return (await pinStatusOfVisibleAccounts(db, userId)).some((a) => !a.registered && !a.locked);
}
