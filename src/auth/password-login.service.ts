import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import type { LoginMethod, UserRole, UserStatus } from '../db/database.ts';
import { hashSecret, verifySecret } from '../shared/secret-hash.ts';

/** DESIGN §6: 5 consecutive wrong login passwords lock the user. */
export const MAX_LOGIN_FAILURES = 5;

export interface AuthenticatedUser {
  id: string;
  customerId: string;
  loginId: string;
  name: string;
  role: UserRole;
  status: UserStatus;
  groupId: string | null;
}

/**
 * The outcome of a login attempt. Every failure that could reveal whether a login ID exists is the
 * same `invalid_credentials`; the more specific reasons are given only after the correct password.
 */
export type PasswordLoginResult =
  | { ok: true; user: AuthenticatedUser }
  | { ok: false; reason: 'invalid_credentials' }
  /** Correct password, but the user is locked (5 failures, or by an administrator). */
  | { ok: false; reason: 'locked' }
  /** Correct password, but the customer logs in by client certificate only (DESIGN §6 1-1). */
  | { ok: false; reason: 'certificate_required' }
  /** Correct (old) password, but an administrator reset it: the mailed URL sets a new one. */
  | { ok: false; reason: 'password_reset_pending' }
  /** Correct password, but the first-login setup is pending: only internet banking may continue. */
  | { ok: false; reason: 'setup_required' };

/** A hash to verify against when the login ID is unknown, so the answer takes as long either way. */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashSecret('renkei-decoy-password-that-never-matches'));

const LOGIN_ID = /^[0-9]{10}$/;

/**
 * Checks a login ID and login password (seed 000 手順1-2, seed 003 login), counting failures
 * atomically so concurrent attempts cannot exceed the limit, locking at the 5th, and writing an
 * audit event for every outcome. `channel` says where the attempt came from (consent journey or
 * internet banking) for the audit trail.
 */
export async function loginWithPassword(
  db: Db,
  input: { loginId: string; password: string; channel: 'api_consent' | 'internet_banking'; context?: RequestContext },
): Promise<PasswordLoginResult> {
  const { loginId, password, channel, context } = input;
  const row = LOGIN_ID.test(loginId)
    ? await db
        .selectFrom('users')
        .innerJoin('customers', 'customers.id', 'users.customer_id')
        .select([
          'users.id', 'users.customer_id', 'users.login_id', 'users.name', 'users.role', 'users.status', 'users.group_id',
          'users.login_password_hash', 'customers.login_method',
        ])
        .where('users.login_id', '=', loginId)
        .where('users.deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;

  if (!row) {
    await verifySecret(await decoyHash(), password);
    await recordAudit(db, {
      type: 'login.failure', outcome: 'failure', actorLoginId: LOGIN_ID.test(loginId) ? loginId : null,
      details: { channel, reason: 'unknown_login_id' }, context,
    });
    return { ok: false, reason: 'invalid_credentials' };
  }

  const audit = { customerId: row.customer_id, actorUserId: row.id, actorLoginId: row.login_id, context };
  if (!(await verifySecret(row.login_password_hash, password))) {
    const counted = await countFailure(db, row.id);
    await recordAudit(db, { ...audit, type: 'login.failure', outcome: 'failure', details: { channel, reason: 'wrong_password', failures: counted.failures } });
    if (counted.lockedNow) await recordAudit(db, { ...audit, type: 'login.locked', outcome: 'failure', details: { channel, failures: counted.failures } });
    return { ok: false, reason: 'invalid_credentials' };
  }

  const refusal = refusalAfterCorrectPassword(row.status, row.login_method as LoginMethod, channel);
  if (refusal) {
    await recordAudit(db, { ...audit, type: 'login.failure', outcome: 'failure', details: { channel, reason: refusal } });
    return { ok: false, reason: refusal };
  }
  await db
    .updateTable('users')
    .set({ login_failed_count: 0, last_login_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('id', '=', row.id)
    .execute();
  await recordAudit(db, { ...audit, type: 'login.success', details: { channel } });
  return {
    ok: true,
    user: { id: row.id, customerId: row.customer_id, loginId: row.login_id, name: row.name, role: row.role, status: row.status, groupId: row.group_id },
  };
}

function refusalAfterCorrectPassword(status: UserStatus, method: LoginMethod, channel: 'api_consent' | 'internet_banking') {
  if (status === 'locked') return 'locked' as const;
  if (status === 'reset_pending') return 'password_reset_pending' as const;
  if (method === 'certificate') return 'certificate_required' as const;
  // The first-login setup (取引パスワード) happens in internet banking; a partner's journey waits for it.
  if (status === 'setup_required' && channel === 'api_consent') return 'setup_required' as const;
  return undefined;
}

/**
 * One more failure, in a single statement: the row lock of UPDATE serialises concurrent attempts, so
 * the 5th failure locks exactly once. A locked user's counter stays at 5.
 */
export async function countFailure(db: Db, userId: string): Promise<{ failures: number; lockedNow: boolean }> {
  const updated = await db
    .updateTable('users')
    .set((eb) => ({
      login_failed_count: sql<number>`least(${eb.ref('login_failed_count')} + 1, ${MAX_LOGIN_FAILURES})`,
      status: sql<UserStatus>`case when ${eb.ref('login_failed_count')} + 1 >= ${MAX_LOGIN_FAILURES} then 'locked' else ${eb.ref('status')} end`,
      locked_at: sql<Date | null>`case when ${eb.ref('login_failed_count')} + 1 >= ${MAX_LOGIN_FAILURES} then now() else ${eb.ref('locked_at')} end`,
      updated_at: sql<Date>`now()`,
    }))
    .where('id', '=', userId)
    .where('status', '<>', 'locked')
    .returning(['login_failed_count', 'status'])
    .executeTakeFirst();
  if (!updated) return { failures: MAX_LOGIN_FAILURES, lockedNow: false };
  return { failures: updated.login_failed_count, lockedNow: updated.status === 'locked' };
}
