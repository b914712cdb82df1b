import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Db } from '../db/transaction.ts';
import { endIbSession, touchIbSession } from './ib-sessions.repository.ts';

/**
 * ログアウト: ends the session the token names and, when it was still live, records the logout against
 * its user. A dead or forged token ends nothing and records nothing.
 */
export async function logOutOfInternetBanking(db: Db, token: string | undefined, context?: RequestContext): Promise<void> {
  const live = await touchIbSession(db, token);
  await endIbSession(db, token);
  if (!live) return;
  const user = await db
    .selectFrom('users')
    .select(['id', 'customer_id', 'login_id'])
    .where('id', '=', live.userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!user) return;
  await recordAudit(db, {
    type: 'logout', customerId: user.customer_id, actorUserId: user.id, actorLoginId: user.login_id,
    details: { channel: 'internet_banking' }, context,
  });
}
