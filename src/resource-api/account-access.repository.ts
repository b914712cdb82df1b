import { sql, type SelectQueryBuilder } from 'kysely';
import { userMaySeeAccount } from '../business-id/account-access.ts';
import type { Db } from '../db/transaction.ts';
import type { GrantContext } from '../business-id/grant-check.repository.ts';

/**
 * The accounts a grant lets its client read now: covered by the grant, registered with the user's
 * 照会用暗証番号, and visible under the user's current group rights. Callers add their columns and
 * filters; an account missing from the result is `account_forbidden` whatever the reason.
 */
export function accessibleAccounts(db: Db, grant: Pick<GrantContext, 'grantId' | 'userId'>) {
  return db
    .selectFrom('grant_accounts as ga')
    .innerJoin('accounts as a', 'a.id', 'ga.account_id')
    .innerJoin('users as u', (j) => j.on('u.id', '=', grant.userId))
    .innerJoin('pin_registrations as p', (j) => j.onRef('p.account_id', '=', 'a.id').onRef('p.user_id', '=', 'u.id'))
    .leftJoin('groups as g', 'g.id', 'u.group_id')
    .leftJoin('group_account_rights as r', (j) => j.onRef('r.group_id', '=', 'u.group_id').onRef('r.account_id', '=', 'a.id'))
    .where('ga.grant_id', '=', grant.grantId)
    .where((eb) => userMaySeeAccount(eb as never));
}

type AccessibleAccounts = ReturnType<typeof accessibleAccounts>;
type AccessibleQuery<O> = AccessibleAccounts extends SelectQueryBuilder<infer DB, infer TB, infer _> ? SelectQueryBuilder<DB, TB, O> : never;

/** The order of every account list (DESIGN §8): the 代表口座 first, then by 科目 and 口座番号. */
export function inListOrder<O>(query: AccessibleQuery<O>): AccessibleQuery<O> {
  return query.orderBy('a.is_primary', 'desc').orderBy('a.account_type_code').orderBy('a.account_number');
}
