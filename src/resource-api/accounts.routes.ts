import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { invalidParameter } from '../shared/errors.ts';
import {
  AccountsResponseSchema, API_ERRORS, BalancesQuerySchema, NoQuerySchema, BalancesResponseSchema, TransactionsQuerySchema, TransactionsResponseSchema,
} from './accounts.schemas.ts';
import { accessibleAccounts } from './account-access.repository.ts';
import { accountForbidden, insufficientScope } from './api-errors.ts';
import type { ApiAuth } from './authenticate.ts';
import { ACCOUNT_TYPE_NAMES, baseDateTime, currencyName, firstDayOfMonth, isCalendarDate, money } from './format.ts';

/** DESIGN §8: at most 500 statement lines a page. */
export const PAGE_SIZE = 500;
const ACCOUNT_ID = /^\d{12}$/;
const ITEM_KEY = /^\d{1,18}$/;

declare module 'fastify' {
  interface FastifyRequest {
    apiAuth: ApiAuth;
  }
}

/** The scope an endpoint needs (DESIGN §7 table); any one of them is enough. */
function requireScope(request: FastifyRequest, anyOf: string[]): void {
  if (!anyOf.some((s) => request.apiAuth.scopes.has(s))) throw insufficientScope(request.apiAuth.scheme, anyOf.join(' '));
}

function accountIdParam(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!ACCOUNT_ID.test(value)) throw invalidParameter({ ja: 'accountIdは12桁の数字で指定してください。', en: 'accountId must be 12 digits.' });
  return value;
}

/** GET /accounts, /accounts/balances, /accounts/transactions (DESIGN §8). Authentication runs before these. */
export async function accountsRoutes(app: FastifyInstance, opts: { db: Kysely<Database> }): Promise<void> {
  const { db } = opts;

  app.get('/accounts', {
    schema: { summary: '口座一覧照会', tags: ['accounts'], security: [{ DPoP: [] }, { mtls: [] }], querystring: NoQuerySchema, response: { 200: AccountsResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, ['balances', 'transactions']);
    const rows = await accessibleAccounts(db, request.apiAuth.grant)
      .select(['a.public_id', 'a.branch_code', 'a.branch_name', 'a.account_type_code', 'a.account_number', 'a.is_primary',
        'a.account_name', 'a.account_name_kana', 'a.currency', 'a.transfer_limit_amount'])
      .orderBy('a.is_primary', 'desc').orderBy('a.account_type_code').orderBy('a.account_number')
      .execute();
    return {
      accounts: rows.map((a) => ({
        accountId: a.public_id,
        branchCode: a.branch_code,
        branchName: a.branch_name,
        accountTypeCode: a.account_type_code,
        accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]!,
        accountNumber: a.account_number,
        primaryAccountCode: a.is_primary ? '1' as const : '2' as const,
        primaryAccountCodeName: a.is_primary ? '代表口座' : '追加口座',
        accountName: a.account_name,
        accountNameKana: a.account_name_kana,
        currencyCode: a.currency,
        currencyName: currencyName(a.currency),
        ...(a.transfer_limit_amount === null ? {} : { transferLimitAmount: money(a.transfer_limit_amount, a.currency) }),
      })),
      ...baseDateTime(),
    };
  });

  app.get<{ Querystring: { accountId?: string } }>('/accounts/balances', {
    schema: { summary: '残高照会', tags: ['accounts'], security: [{ DPoP: [] }, { mtls: [] }], querystring: BalancesQuerySchema, response: { 200: BalancesResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, ['balances']);
    const accountId = accountIdParam(request.query.accountId);
    const base = baseDateTime();
    const monthStart = firstDayOfMonth(base.baseDate);
    // Yesterday's and last month's closing balances follow from today's balance and the lines since,
    // which always add up (the statement is append-only and checked by the database).
    let q = accessibleAccounts(db, request.apiAuth.grant)
      .leftJoin('transactions as t', (j) => j.onRef('t.account_id', '=', 'a.id').on('t.transaction_date', '>=', monthStart))
      .select([
        'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount',
        sql<string>`coalesce(sum(case when t.transaction_date >= ${base.baseDate}::date then case when t.transaction_type = 1 then t.amount else -t.amount end end), 0)`.as('net_today'),
        sql<string>`coalesce(sum(case when t.transaction_type = 1 then t.amount else -t.amount end), 0)`.as('net_month'),
      ])
      .groupBy(['a.id', 'a.public_id', 'a.account_type_code', 'a.currency', 'a.balance', 'a.withdrawable_amount', 'a.is_primary', 'a.account_number'])
      .orderBy('a.is_primary', 'desc').orderBy('a.account_type_code').orderBy('a.account_number');
    if (accountId) q = q.where('a.public_id', '=', accountId);
    const rows = await q.execute();
    if (accountId && rows.length === 0) throw accountForbidden();
    return {
      balances: rows.map((a) => ({
        accountId: a.public_id,
        accountTypeCode: a.account_type_code,
        accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]!,
        balance: money(a.balance, a.currency),
        ...base,
        withdrawableAmount: money(a.withdrawable_amount, a.currency),
        previousDayBalance: money(decimalSub(a.balance, a.net_today), a.currency),
        previousMonthBalance: money(decimalSub(a.balance, a.net_month), a.currency),
        currencyCode: a.currency,
        currencyName: currencyName(a.currency),
      })),
    };
  });

  app.get<{ Querystring: { accountId: string; dateFrom?: string; dateTo?: string; nextItemKey?: string } }>('/accounts/transactions', {
    schema: { summary: '入出金明細照会', tags: ['accounts'], security: [{ DPoP: [] }, { mtls: [] }], querystring: TransactionsQuerySchema, response: { 200: TransactionsResponseSchema, ...API_ERRORS } },
  }, async (request) => {
    requireScope(request, ['transactions']);
    const { dateFrom, dateTo, nextItemKey } = request.query;
    const accountId = accountIdParam(request.query.accountId)!;
    for (const [name, value] of [['dateFrom', dateFrom], ['dateTo', dateTo]] as const) {
      if (value !== undefined && !isCalendarDate(value)) throw invalidParameter({ ja: `${name}はYYYY-MM-DD形式の日付で指定してください。`, en: `${name} must be a date in YYYY-MM-DD.` });
    }
    if (nextItemKey !== undefined && !ITEM_KEY.test(nextItemKey)) throw invalidParameter({ ja: 'nextItemKeyが正しくありません。', en: 'nextItemKey is invalid.' });
    if (dateFrom && dateTo && dateFrom > dateTo) throw invalidParameter({ ja: 'dateFromはdateTo以前の日付を指定してください。', en: 'dateFrom must not be after dateTo.' });

    const account = await accessibleAccounts(db, request.apiAuth.grant)
      .select(['a.id', 'a.public_id', 'a.currency'])
      .where('a.public_id', '=', accountId)
      .executeTakeFirst();
    if (!account) throw accountForbidden();
    const base = baseDateTime();
    // No dates: today only; only dateFrom: to today; only dateTo: from the first line (DESIGN §8).
    const to = dateTo ?? base.baseDate;
    const from = dateFrom ?? (dateTo ? await firstTransactionDate(db, account.id) ?? dateTo : base.baseDate);
    if (from > to) throw invalidParameter({ ja: 'dateFromはdateTo以前の日付を指定してください。', en: 'dateFrom must not be after dateTo.' });

    let q = db.selectFrom('transactions')
      .select(['item_key', 'transaction_date', 'value_date', 'transaction_type', 'amount', 'balance_after', 'remarks'])
      .where('account_id', '=', account.id)
      .where('transaction_date', '>=', from)
      .where('transaction_date', '<=', to);
    // Keyset paging on the strictly increasing item_key: never OFFSET, no gaps or repeats.
    if (nextItemKey !== undefined) q = q.where('item_key', '>', nextItemKey);
    const rows = await q.orderBy('item_key').limit(PAGE_SIZE + 1).execute();
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
  });
}

async function firstTransactionDate(db: Kysely<Database>, accountId: string): Promise<string | undefined> {
  const row = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', accountId)
    .orderBy('item_key').limit(1).executeTakeFirst();
  return row?.transaction_date;
}

/** a − b on exact decimal strings (two decimals at most), without floating point. */
function decimalSub(a: string, b: string): string {
  const cents = (v: string) => {
    const neg = v.startsWith('-');
    const [i = '0', f = ''] = (neg ? v.slice(1) : v).split('.');
    const n = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
    return neg ? -n : n;
  };
  const r = cents(a) - cents(b);
  const abs = r < 0n ? -r : r;
  return `${r < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
