import { sql, type ExpressionBuilder } from 'kysely';
import type { AccountTypeCode, Database } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';

type VisibilityScope = {
  u: Database['users'];
  a: Database['accounts'];
  g: Database['groups'];
  r: Database['group_account_rights'];
};

/** DESIGN §5: a user acts (logs in, refreshes, calls the API through a link) only while active and not deleted. */
export function userIsActive(alias: string) {
  return sql<boolean>`${sql.ref(`${alias}.status`)} = 'active' and ${sql.ref(`${alias}.deleted_at`)} is null`;
}

/**
 * The 照会 rule of DESIGN §5 as one SQL condition over the aliases u (user), a (account), g (the
 * user's group, left-joined) and r (the group's rights on the account, left-joined): the master or an
 * individual sees everything of the customer; a member what their group may 照会 right now.
 */
export function userMaySeeAccount(eb: ExpressionBuilder<VisibilityScope, keyof VisibilityScope>) {
  return eb.or([
    eb('u.role', '=', 'master'),
    eb.and([eb('a.account_type_code', '=', '01'), eb('r.inquiry', '=', true)]),
    eb.and([eb('a.account_type_code', '=', '11'), eb('g.time_deposit_inquiry', '=', true)]),
    eb.and([eb('a.account_type_code', '=', '51'), eb('g.fx_inquiry', '=', true)]),
  ]);
}

export interface VisibleAccount {
  id: string;
  publicId: string;
  branchCode: string;
  branchName: string;
  accountTypeCode: AccountTypeCode;
  accountNumber: string;
  currency: string;
  isPrimary: boolean;
}

/**
 * The accounts a user may see (照会) right now (DESIGN §5 "Permission at the API"): every account of
 * the customer for the master user or an individual holder; for a member, the 円普通 accounts their
 * group has 照会 on, every 円定期 account with 円定期照会, every 外貨普通 account with 外貨普通照会.
 * An inactive or deleted user sees nothing. One query, so it reflects the group as it is now.
 */
export async function visibleAccounts(db: Db, userId: string, onlyAccountIds?: string[]): Promise<VisibleAccount[]> {
  if (onlyAccountIds?.length === 0) return [];
  const q = visibleAccountsQuery(db, userId);
  const rows = await (onlyAccountIds ? q.where('a.id', 'in', onlyAccountIds) : q).execute();
  return rows.map(toVisibleAccount);
}

/**
 * The query behind visibleAccounts, in its order, for callers that need more of the same rows in the
 * same statement (e.g. each account's PIN state at the journey's step 3).
 */
export function visibleAccountsQuery(db: Db, userId: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.customer_id', 'u.customer_id')
    .leftJoin('groups as g', 'g.id', 'u.group_id')
    .leftJoin('group_account_rights as r', (j) => j.onRef('r.group_id', '=', 'u.group_id').onRef('r.account_id', '=', 'a.id'))
    .select([
      'a.id', 'a.public_id', 'a.branch_code', 'a.branch_name', 'a.account_type_code', 'a.account_number', 'a.currency', 'a.is_primary',
    ])
    .where('u.id', '=', userId)
    .where('u.deleted_at', 'is', null)
    .where('u.status', 'in', ['active', 'setup_required'])
    .where((eb) => userMaySeeAccount(eb as never))
    .orderBy(sql`a.is_primary`, 'desc')
    .orderBy('a.account_type_code')
    .orderBy('a.branch_code')
    .orderBy('a.account_number');
}

export function toVisibleAccount(r: { id: string; public_id: string; branch_code: string; branch_name: string; account_type_code: AccountTypeCode; account_number: string; currency: string; is_primary: boolean }): VisibleAccount {
  return {
    id: r.id, publicId: r.public_id, branchCode: r.branch_code, branchName: r.branch_name,
    accountTypeCode: r.account_type_code, accountNumber: r.account_number, currency: r.currency, isPrimary: r.is_primary,
  };
}
