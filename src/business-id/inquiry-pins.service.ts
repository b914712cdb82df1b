import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import { verifySecret } from '../shared/secret-hash.ts';
import { toVisibleAccount, visibleAccountsQuery, type VisibleAccount } from './account-access.ts';

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
 * the account for API use (kept across grants). Every try is claimed on the account by one conditional
 * UPDATE before the PIN is compared, so concurrent attempts from any session, client or server process
 * get no more than the limit. PINs are never logged.
 */
export async function registerInquiryPin(
  db: Db,
  input: { userId: string; accountId: string; pin: string; context?: RequestContext | undefined },
): Promise<PinRegistrationResult> {
  const { userId, accountId, pin } = input;
  if (!PIN_FORMAT.test(pin)) return { outcome: 'invalid_format' };
  // The account as the user may see it, with who the user is (for the audit rows): one statement.
  const visible = await visibleAccountsQuery(db, userId).where('a.id', '=', accountId).select(['u.customer_id', 'u.login_id']).executeTakeFirst();
  if (!visible) return { outcome: 'not_available' };
  const audit = {
    customerId: visible.customer_id, actorUserId: userId, actorLoginId: visible.login_id, context: input.context,
    details: { accountId: visible.public_id },
  };

  // One conditional UPDATE claims a try before the PIN is compared: at most MAX_PIN_FAILURES tries can be
  // in flight or failed in a row, however many requests arrive at once from however many processes. The
  // try that reaches the limit locks the PIN as it claims (the schema ties the lock to the count); a right
  // PIN on that try lifts its own lock again. A locked PIN, or an account with none filed, claims nothing.
  const claimed = await db
    .updateTable('accounts')
    .set((eb) => ({
      pin_failed_count: sql<number>`${eb.ref('pin_failed_count')} + 1`,
      pin_locked_at: sql<Date | null>`case when ${eb.ref('pin_failed_count')} + 1 >= ${MAX_PIN_FAILURES} then now() else null end`,
    }))
    .where('id', '=', accountId)
    .where('pin_locked_at', 'is', null)
    .where('inquiry_pin_hash', 'is not', null)
    .returning(['pin_failed_count', 'inquiry_pin_hash'])
    .executeTakeFirst();
  if (!claimed) {
    await recordAudit(db, { ...audit, type: 'pin.failure', outcome: 'failure', details: { ...audit.details, reason: 'locked' } });
    return { outcome: 'locked' };
  }
  const lastTry = claimed.pin_failed_count >= MAX_PIN_FAILURES;

  if (await verifySecret(claimed.inquiry_pin_hash!, pin)) {
    // Only while no later try has locked it (that try's wrong PIN counts), or when this try's own claim did.
    const unlock = db.updateTable('accounts').set({ pin_failed_count: 0, pin_locked_at: null }).where('id', '=', accountId);
    const reset = await (lastTry ? unlock.where('pin_failed_count', '>=', MAX_PIN_FAILURES) : unlock.where('pin_locked_at', 'is', null))
      .returning('id')
      .executeTakeFirst();
    if (!reset) return { outcome: 'locked' };
    await db
      .insertInto('pin_registrations')
      .values({ user_id: userId, account_id: accountId, customer_id: visible.customer_id })
      .onConflict((oc) => oc.columns(['user_id', 'account_id']).doNothing())
      .execute();
    await recordAudit(db, { ...audit, type: 'pin.success' });
    return { outcome: 'registered' };
  }

  await recordAudit(db, { ...audit, type: 'pin.failure', outcome: 'failure', details: { ...audit.details, reason: 'wrong_pin', failures: claimed.pin_failed_count } });
  if (!lastTry) return { outcome: 'wrong_pin', remainingAttempts: MAX_PIN_FAILURES - claimed.pin_failed_count };
  await recordAudit(db, { ...audit, type: 'pin.locked', outcome: 'failure' });
  return { outcome: 'locked' };
}

export interface AccountPinStatus extends VisibleAccount {
  /** The user registered this account's PIN (in an earlier or this journey). */
  registered: boolean;
  /** The account's PIN is locked after too many wrong attempts (by anyone). */
  locked: boolean;
}

/** Which of the user's visible accounts are registered for API use, and which are locked. */
export async function pinStatusOfVisibleAccounts(db: Db, userId: string): Promise<AccountPinStatus[]> {
  // One statement: the journey shows this on most of its pages.
  const rows = await visibleAccountsQuery(db, userId)
    .leftJoin('pin_registrations as p', (j) => j.onRef('p.account_id', '=', 'a.id').onRef('p.user_id', '=', 'u.id'))
    .select([sql<boolean>`p.account_id is not null`.as('registered'), sql<boolean>`a.pin_locked_at is not null`.as('locked')])
    .execute();
  return rows.map((r) => ({ ...toVisibleAccount(r), registered: r.registered, locked: r.locked }));
}

/** Whether step 3 has something to do: a visible account neither registered nor locked. */
export async function hasPinToRegister(db: Db, userId: string): Promise<boolean> {
  return (await pinStatusOfVisibleAccounts(db, userId)).some((a) => !a.registered && !a.locked);
}
