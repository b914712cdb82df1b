import { preparedQuery } from '../db/prepared-query.ts';
import type { Db } from '../db/transaction.ts';
import type { Database } from '../db/database.ts';
import type { Kysely } from 'kysely';
import { invalidParameter } from '../shared/errors.ts';
import { defineTexts } from '../shared/i18n.ts';
import type { GrantContext } from '../business-id/grant-check.repository.ts';
import { accessibleAccounts } from './account-access.repository.ts';
import { accountForbidden } from './api-errors.ts';
import { baseDateTime, currencyName, isCalendarDate, money } from './format.ts';
import { checkStatementAccountId } from './parameters.ts';

/** DESIGN §8: at most 500 statement lines a page. */
export const PAGE_SIZE = 500;
/** Item keys are positive bigints: 18 digits always fit. */
const ITEM_KEY = /^\d{1,18}$/;

/** The statement's query rules; the route schemas accept the parameters loosely by type. */
const QUERY_MESSAGES = defineTexts({
  date: (name: string) => ({ ja: `${name}はYYYY-MM-DD形式の日付で指定してください。`, en: `${name} must be a date in YYYY-MM-DD.` }),
  dateOrder: { ja: 'dateFromはdateTo以前の日付を指定してください。', en: 'dateFrom must not be after dateTo.' },
  itemKey: { ja: 'nextItemKeyが正しくありません。', en: 'nextItemKey is invalid.' },
});

function checkDate(name: 'dateFrom' | 'dateTo', value: string | undefined): void {
  if (value !== undefined && !isCalendarDate(value)) throw invalidParameter(QUERY_MESSAGES.date(name));
}

/** Dates in `YYYY-MM-DD` compare as strings. */
function checkDateOrder(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) throw invalidParameter(QUERY_MESSAGES.dateOrder);
}

export interface StatementQuery {
  accountId: string;
  dateFrom?: string | undefined;
  dateTo?: string | undefined;
  nextItemKey?: string | undefined;
}

/** One line of 入出金明細照会 (DESIGN §8). */
export interface StatementLine {
  transactionDate: string;
  valueDate: string;
  transactionType: '1' | '2';
  amount: string;
  remarks?: string;
  balance: string;
  itemKey: string;
}

export interface StatementPage {
  accountId: string;
  currencyCode: string;
  currencyName: string;
  dateFrom: string;
  dateTo: string;
  baseDate: string;
  baseTime: string;
  hasNext: boolean;
  nextItemKey?: string;
  count: string;
  transactions: StatementLine[];
}

/**
 * The statement's account, when the grant reads it now. Prepared (src/db/prepared-query.ts), as every
 * query of 入出金明細照会: they run on every call.
 */
function selectStatementAccount(db: Kysely<Database>, param: (key: 'grantId' | 'userId' | 'accountId') => never) {
  return accessibleAccounts(db, { grantId: param('grantId'), userId: param('userId') })
    .select(['a.id', 'a.public_id', 'a.currency'])
    .where('a.public_id', '=', param('accountId'));
}
const ACCOUNT_KEYS = ['grantId', 'userId', 'accountId'] as const;
const statementAccount = preparedQuery('statement-account', ACCOUNT_KEYS, selectStatementAccount);
/** The first line's date comes with the account when the range starts there: one round trip less. */
const statementAccountWithFirstDate = preparedQuery('statement-account-first-date', ACCOUNT_KEYS, (db, param) => selectStatementAccount(db, param)
  .select((eb) => eb.selectFrom('transactions as first')
    .select('first.transaction_date').whereRef('first.account_id', '=', 'a.id').orderBy('first.item_key').limit(1)
    .as('first_date')));

/**
 * One page of lines: keyset paging on the strictly increasing item_key, never OFFSET, so no gaps or
 * repeats. One line more than a page tells whether another page follows.
 */
function selectLines(db: Kysely<Database>, param: (key: 'accountId' | 'from' | 'to') => never) {
  return db.selectFrom('transactions')
    .select(['item_key', 'transaction_date', 'value_date', 'transaction_type', 'amount', 'balance_after', 'remarks'])
    .where('account_id', '=', param('accountId'))
    .where('transaction_date', '>=', param('from'))
    .where('transaction_date', '<=', param('to'))
    .orderBy('item_key')
    .limit(PAGE_SIZE + 1);
}
const LINE_KEYS = ['accountId', 'from', 'to'] as const;
const firstPage = preparedQuery('statement-first-page', LINE_KEYS, selectLines);
const nextPage = preparedQuery('statement-next-page', [...LINE_KEYS, 'nextItemKey'], (db, param) => selectLines(db, param)
  .where('item_key', '>', param('nextItemKey')));

/**
 * 入出金明細照会: one page of an account's statement, ascending. No dates: today only; only dateFrom:
 * up to today; only dateTo: from the first line (DESIGN §8). The next page is the same query plus the
 * `nextItemKey` of this one.
 */
export async function accountStatement(db: Db, grant: GrantContext, query: StatementQuery, now = new Date()): Promise<StatementPage> {
  const accountId = checkStatementAccountId(query.accountId);
  const { dateFrom, dateTo, nextItemKey } = query;
  checkDate('dateFrom', dateFrom);
  checkDate('dateTo', dateTo);
  if (nextItemKey !== undefined && !ITEM_KEY.test(nextItemKey)) throw invalidParameter(QUERY_MESSAGES.itemKey);
  checkDateOrder(dateFrom, dateTo);

  const fromFirstLine = dateFrom === undefined && dateTo !== undefined;
  const ids = { grantId: grant.grantId, userId: grant.userId, accountId };
  const withFirstDate = fromFirstLine ? (await statementAccountWithFirstDate(db, ids))[0] : undefined;
  const account = fromFirstLine ? withFirstDate : (await statementAccount(db, ids))[0];
  if (!account) throw accountForbidden();
  const base = baseDateTime(now);
  const to = dateTo ?? base.baseDate;
  const from = dateFrom ?? (fromFirstLine ? withFirstDate?.first_date ?? to : base.baseDate);
  checkDateOrder(from, to);

  const range = { accountId: account.id, from, to };
  const rows = nextItemKey === undefined ? await firstPage(db, range) : await nextPage(db, { ...range, nextItemKey });
  const hasNext = rows.length > PAGE_SIZE;
  const page = hasNext ? rows.slice(0, PAGE_SIZE) : rows;
  return {
    accountId: account.public_id,
    currencyCode: account.currency,
    currencyName: currencyName(account.currency),
    dateFrom: from,
    dateTo: to,
    ...base,
    hasNext,
    ...(hasNext ? { nextItemKey: page.at(-1)!.item_key } : {}),
    count: String(page.length),
    transactions: page.map((t) => ({
      transactionDate: t.transaction_date,
      valueDate: t.value_date,
      transactionType: String(t.transaction_type) as '1' | '2',
      amount: money(t.amount, account.currency),
      ...(t.remarks ? { remarks: t.remarks } : {}),
      balance: money(t.balance_after, account.currency),
      itemKey: t.item_key,
    })),
  };
}
