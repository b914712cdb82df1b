import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/**
 * Books `count` more lines on an account's statement, dated `date`, after its last line: item keys
 * with gaps (paging must not rely on consecutive keys), credits and debits with a running balance the
 * database accepts, every fourth line without remarks. Returns the account's row id.
 */
export async function appendStatementLines(db: Kysely<Database>, publicId: string, count: number, date: string): Promise<string> {
  const account = await db.selectFrom('accounts').select('id').where('public_id', '=', publicId).executeTakeFirstOrThrow();
  const last = await db.selectFrom('transactions').select(['item_key', 'balance_after'])
    .where('account_id', '=', account.id).orderBy('item_key', 'desc').limit(1).executeTakeFirstOrThrow();
  let balance = BigInt(last.balance_after.replace(/\.0+$/, ''));
  let key = BigInt(last.item_key);
  const rows = [];
  for (let i = 0; i < count; i++) {
    const amount = BigInt(1_000 + ((i * 7_919) % 50_000));
    const debit = i % 3 === 2 && balance > amount;
    balance += debit ? -amount : amount;
    key += BigInt(1 + (i % 5));
    rows.push({
      account_id: account.id, item_key: String(key), transaction_date: date, value_date: date, transaction_type: debit ? (2 as const) : (1 as const),
      amount: String(amount), balance_after: String(balance), remarks: i % 4 === 0 ? '' : `ｼﾞｰｴﾑｵｰ ﾃｽﾄ ${i + 1}`,
    });
  }
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('transactions').values(rows.slice(i, i + 200)).execute();
  return account.id;
}
