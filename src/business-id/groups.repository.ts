import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';

/** A group as グループ一覧 lists it (seed 003 §3): its members' names (oldest member first) and count, oldest group first. */
interface GroupListRow {
  id: string;
  name: string;
  user_admin: boolean;
  userCount: string;
  userNames: string | null;
}

/** The customer's groups with their live members (deleted users do not count), in creation order. */
export function listGroups(db: Db, customerId: string): Promise<GroupListRow[]> {
  return db
    .selectFrom('groups')
    .leftJoin('users', (j) => j.onRef('users.group_id', '=', 'groups.id').on('users.deleted_at', 'is', null))
    .select((eb) => [
      'groups.id', 'groups.name', 'groups.user_admin', eb.fn.count<string>('users.id').as('userCount'),
      // Members in the order ユーザー一覧 shows them (oldest first), not in whatever order the join yields.
      sql<string | null>`string_agg(${sql.ref('users.name')}, '、' order by ${sql.ref('users.created_at')}, ${sql.ref('users.login_id')})`.as('userNames'),
    ])
    .where('groups.customer_id', '=', customerId)
    .groupBy(['groups.id', 'groups.name', 'groups.user_admin', 'groups.created_at'])
    .orderBy('groups.created_at')
    .orderBy('groups.id')
    .execute();
}

/** How many groups the customer has (the limit counts every group). */
export async function countGroups(db: Db, customerId: string): Promise<number> {
  const { count } = await db
    .selectFrom('groups')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** The accounts a group can be given per-account rights on: the customer's 円普通預金, 代表口座 first. */
export function listOrdinaryAccounts(db: Db, customerId: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'branch_name', 'branch_code', 'account_number', 'account_name', 'is_primary'])
    .where('customer_id', '=', customerId)
    .where('account_type_code', '=', '01')
    .orderBy('is_primary', 'desc')
    .orderBy('account_number')
    .execute();
}
