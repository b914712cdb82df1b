import type { Db } from '../db/transaction.ts';

/** Who a user is, as audit events and consent records name them. */
export interface UserIdentity {
  id: string;
  customerId: string;
  loginId: string;
}

/** The user behind a session or a grant (deleted users included: their history keeps their name). */
export async function findUserIdentity(db: Db, userId: string): Promise<UserIdentity | undefined> {
  const row = await db.selectFrom('users').select(['id', 'customer_id', 'login_id']).where('id', '=', userId).executeTakeFirst();
  return row && { id: row.id, customerId: row.customer_id, loginId: row.login_id };
}
