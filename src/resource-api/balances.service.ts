import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';
import { accessibleAccounts, inListOrder, type GrantContext } from './account-access.repository.ts';
import { accountForbidden } from './api-errors.ts';
import { ACCOUNT_TYPE_NAMES, baseDateTime, currencyName, firstDayOfMonth, money } from './format.ts';
import { checkAccountId } from './parameters.ts';

/** One entry of 残高照会 (DESIGN §8). */
export interface AccountBalance {
  accountId: string;
  accountTypeCode: string;
  accountTypeName: string;
  balance: string;
  baseDate: string;
  baseTime: string;
  withdrawableAmount: string;
  previousDayBalance: string;
  previousMonthBalance: string;
  currencyCode: string;
  currencyName: string;
}

export interface BalanceList {
  balances: AccountBalance[];
}

/**
 * 残高照会: today's balance of every account the grant lets its client read, or of the one named
 * (`account_forbidden` when it is not among them), with yesterday's and last month's closing balances.
 */
export async function accountBalances(db: Db, grant: GrantContext, query: { accountId?: string | undefined }, now = new Date()): Promise<BalanceList> {
  const accountId = query.accountId === undefined ? undefined : checkAccountId(query.accountId);
  const base = baseDateTime(now);
  // The closing balances follow from today's balance less the lines booked since, which always add up
  // (the statement is append-only and checked by the database). PostgreSQL's numeric keeps them exact.
  const signedAmount = sql<string>`case when t.transaction_type = 1 then t.amount else -t.amount end`;
  const rows = await accessibleAccounts(db, grant)
    .$call(inListOrder)
    .leftJoin('transactions as t', (j) => j.onRef('t.account_id', '=', 'a.id').on('t.transaction_date', '>=', firstDayOfMonth(base.baseDate)))
    .select([
      'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount',
      sql<string>`a.balance - coalesce(sum(${signedAmount}) filter (where t.transaction_date >= ${base.baseDate}::date), 0)`.as('previous_day_balance'),
      sql<string>`a.balance - coalesce(sum(${signedAmount}), 0)`.as('previous_month_balance'),
    ])
    .groupBy(['a.id', 'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount', 'a.is_primary', 'a.account_number'])
    .$if(accountId !== undefined, (q) => q.where('a.public_id', '=', accountId!))
    .execute();
  if (accountId !== undefined && rows.length === 0) throw accountForbidden();
  return {
    balances: rows.map((a) => ({
      accountId: a.public_id,
      accountTypeCode: a.account_type_code,
      accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]!,
      balance: money(a.balance, a.currency),
      ...base,
      withdrawableAmount: money(a.withdrawable_amount, a.currency),
      previousDayBalance: money(a.previous_day_balance, a.currency),
      previousMonthBalance: money(a.previous_month_balance, a.currency),
      currencyCode: a.currency,
      currencyName: currencyName(a.currency),
    })),
  };
}
