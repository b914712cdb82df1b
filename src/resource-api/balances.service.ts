import { sql, type Kysely } from 'kysely';
import { preparedQuery } from '../db/prepared-query.ts';
import type { Db } from '../db/transaction.ts';
import type { Database } from '../db/database.ts';
import type { GrantContext } from '../business-id/grant-check.repository.ts';
import { accessibleAccounts, inListOrder } from './account-access.repository.ts';
import { accountForbidden } from './api-errors.ts';
import { ACCOUNT_TYPE_NAMES, baseDateTime, currencyName, firstDayOfMonth, isForeignCurrency, isOrdinaryYen, money, rate } from './format.ts';
import { checkAccountId } from './parameters.ts';

/**
 * One entry of 残高照会 (DESIGN §8), by GMO's per-科目 rules: ordinary yen accounts (01, 02) carry
 * the balance, 支払可能残高 and the previous balances; a 円定期 (11) only its balance; a 外貨普通 (51)
 * no yen `balance` but `fcyTotalBalance` and, once the bank has published a rate, the TTB and its yen
 * equivalent.
 */
export interface AccountBalance {
  accountId: string;
  accountTypeCode: string;
  accountTypeName: string;
  balance?: string;
  baseDate: string;
  baseTime: string;
  withdrawableAmount?: string;
  previousDayBalance?: string;
  previousMonthBalance?: string;
  currencyCode: string;
  currencyName: string;
  fcyTotalBalance?: string;
  ttb?: string;
  baseRateDate?: string;
  baseRateTime?: string;
  yenEquivalent?: string;
}

export interface BalanceList {
  balances: AccountBalance[];
}

interface BalanceRow {
  public_id: string;
  account_type_code: string;
  currency: string;
  balance: string;
  withdrawable_amount: string;
  previous_day_balance: string;
  previous_month_balance: string;
  ttb: string | null;
  rate_published_at: Date | null;
  yen_equivalent: string | null;
}

/**
 * The balances of the accounts a grant reads now, each with its closing balances of yesterday and of
 * last month and, for a foreign-currency account, the newest TTB published at or before `now`. The
 * closing balances follow from today's balance less the lines booked since, which always add up (the
 * statement is append-only and checked by the database). PostgreSQL's numeric keeps them exact, and the
 * yen equivalent too (truncated to whole yen, toward zero). Prepared (src/db/prepared-query.ts), in two
 * forms (every account, or the one named), as it runs on every 残高照会.
 */
function selectBalances(db: Kysely<Database>, param: (key: 'grantId' | 'userId' | 'baseDate' | 'monthStart' | 'now') => never) {
  const signedAmount = sql<string>`case when t.transaction_type = 1 then t.amount else -t.amount end`;
  return accessibleAccounts(db, { grantId: param('grantId'), userId: param('userId') })
    .$call(inListOrder)
    .leftJoin('transactions as t', (j) => j.onRef('t.account_id', '=', 'a.id').on('t.transaction_date', '>=', param('monthStart')))
    .leftJoin(sql<{ ttb: string; published_at: Date }>`lateral (
      select er.ttb, er.published_at from exchange_rates er
      where er.currency = a.currency and er.published_at <= ${param('now')} order by er.published_at desc limit 1)`.as('rate'), (j) => j.onTrue())
    .select([
      'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount',
      sql<string>`a.balance - coalesce(sum(${signedAmount}) filter (where t.transaction_date >= ${param('baseDate')}::date), 0)`.as('previous_day_balance'),
      sql<string>`a.balance - coalesce(sum(${signedAmount}), 0)`.as('previous_month_balance'),
      sql<string | null>`rate.ttb`.as('ttb'),
      sql<Date | null>`rate.published_at`.as('rate_published_at'),
      sql<string | null>`trunc(a.balance * rate.ttb)`.as('yen_equivalent'),
    ])
    .groupBy(['a.id', 'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount', 'a.is_primary', 'a.account_number',
      sql`rate.ttb`, sql`rate.published_at`]);
}
const BALANCE_KEYS = ['grantId', 'userId', 'baseDate', 'monthStart', 'now'] as const;
const balancesOfAll = preparedQuery('balances-of-all', BALANCE_KEYS, selectBalances);
const balancesOfOne = preparedQuery('balances-of-one', [...BALANCE_KEYS, 'accountId'], (db, param) => selectBalances(db, param)
  .where('a.public_id', '=', param('accountId')));

/**
 * 残高照会: today's balance of every account the grant lets its client read, or of the one named
 * (`account_forbidden` when it is not among them), with yesterday's and last month's closing balances,
 * and for foreign-currency accounts the newest TTB published at or before the inquiry.
 */
export async function accountBalances(db: Db, grant: GrantContext, query: { accountId?: string | undefined }, now = new Date()): Promise<BalanceList> {
  const accountId = query.accountId === undefined ? undefined : checkAccountId(query.accountId);
  const base = baseDateTime(now);
  const values = { grantId: grant.grantId, userId: grant.userId, baseDate: base.baseDate, monthStart: firstDayOfMonth(base.baseDate), now };
  const rows: BalanceRow[] = accountId === undefined ? await balancesOfAll(db, values) : await balancesOfOne(db, { ...values, accountId });
  if (accountId !== undefined && rows.length === 0) throw accountForbidden();
  return { balances: rows.map((a) => balanceEntry(a, base)) };
}

function balanceEntry(a: BalanceRow, base: { baseDate: string; baseTime: string }): AccountBalance {
  const head = { accountId: a.public_id, accountTypeCode: a.account_type_code, accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]! };
  const currency = { currencyCode: a.currency, currencyName: currencyName(a.currency) };
  if (isForeignCurrency(a.account_type_code)) {
    const rateAt = a.rate_published_at ? baseDateTime(a.rate_published_at) : undefined;
    return {
      ...head, ...base, ...currency,
      fcyTotalBalance: money(a.balance, a.currency),
      ...(a.ttb !== null && rateAt && a.yen_equivalent !== null
        ? { ttb: rate(a.ttb), baseRateDate: rateAt.baseDate, baseRateTime: rateAt.baseTime, yenEquivalent: money(a.yen_equivalent, 'JPY') }
        : {}),
    };
  }
  const balance = money(a.balance, a.currency);
  if (!isOrdinaryYen(a.account_type_code)) return { ...head, balance, ...base, ...currency };
  return {
    ...head, balance, ...base,
    withdrawableAmount: money(a.withdrawable_amount, a.currency),
    previousDayBalance: money(a.previous_day_balance, a.currency),
    previousMonthBalance: money(a.previous_month_balance, a.currency),
    ...currency,
  };
}
