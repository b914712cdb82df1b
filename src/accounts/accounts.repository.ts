import type { Db } from '../db/transaction.ts';

/** How many 入出金明細 rows one page of the internet-banking statement shows. */
export const STATEMENT_PAGE_SIZE = 20;

/** Balances of the given accounts (already filtered by the caller's visibility rule), by account id. */
export async function accountBalances(db: Db, accountIds: string[]): Promise<Map<string, { balance: string; withdrawable: string }>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db.selectFrom('accounts').select(['id', 'balance', 'withdrawable_amount']).where('id', 'in', accountIds).execute();
  return new Map(rows.map((r) => [r.id, { balance: r.balance, withdrawable: r.withdrawable_amount }]));
}

export interface StatementRow {
  itemKey: string;
  transactionDate: string;
  valueDate: string;
  /** 1 = 入金, 2 = 出金 (the API's codes). */
  transactionType: 1 | 2;
  amount: string;
  balanceAfter: string;
  remarks: string;
}

/**
 * One page of an account's 入出金明細, newest first, keyset-paged on item_key: `before` is the item_key
 * of the last row of the previous page. One extra row tells whether an older page exists.
 */
export async function statementPage(db: Db, accountId: string, opts: { before?: string | undefined; limit?: number } = {}) {
  const limit = opts.limit ?? STATEMENT_PAGE_SIZE;
  let q = db
    .selectFrom('transactions')
    .select(['item_key', 'transaction_date', 'value_date', 'transaction_type', 'amount', 'balance_after', 'remarks'])
    .where('account_id', '=', accountId);
  if (opts.before) q = q.where('item_key', '<', opts.before);
  const rows = await q.orderBy('item_key', 'desc').limit(limit + 1).execute();
  const page: StatementRow[] = rows.slice(0, limit).map((r) => ({
    itemKey: String(r.item_key), transactionDate: r.transaction_date, valueDate: r.value_date, transactionType: r.transaction_type,
    amount: r.amount, balanceAfter: r.balance_after, remarks: r.remarks,
  }));
  return { rows: page, olderKey: rows.length > limit ? page.at(-1)?.itemKey : undefined };
}
