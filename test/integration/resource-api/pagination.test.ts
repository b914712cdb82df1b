import t from 'tap';
import { baseDateTime } from '../../../src/resource-api/format.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { dpopGet } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';

// DESIGN §8 statement paging and date rules, on a long history: 1,234 lines booked today on top of
// the demo statement of 1000658, walked with nextItemKey to the end.
t.setTimeout(300_000);

const server = await startAuthServer(t);
const { db } = server.database;
const s = await apiSessionFor(server, '1000000002', 'User1pass2024');
const ACCOUNT = '101011000658';
const LINES = 1234;
const today = baseDateTime().baseDate;

interface Line { transactionDate: string; valueDate: string; transactionType: string; amount: string; remarks?: string; balance: string; itemKey: string }
interface Statement {
  accountId: string; currencyCode: string; currencyName: string; dateFrom: string; dateTo: string; baseDate: string; baseTime: string;
  hasNext: boolean; nextItemKey?: string; count: string; transactions: Line[];
}

const account = await db.selectFrom('accounts').select('id').where('public_id', '=', ACCOUNT).executeTakeFirstOrThrow();
const before = await db.selectFrom('transactions').select(['item_key', 'balance_after', 'transaction_date'])
  .where('account_id', '=', account.id).orderBy('item_key', 'desc').limit(1).executeTakeFirstOrThrow();

// Append in booking order (the database checks item keys, dates and running balances); item keys
// with gaps, so paging cannot rely on consecutive keys; every fourth line without remarks.
{
  let balance = BigInt(before.balance_after.replace(/\.00$/, ''));
  let key = BigInt(before.item_key);
  const rows = [];
  for (let i = 0; i < LINES; i++) {
    const amount = BigInt(1_000 + ((i * 7_919) % 50_000));
    const debit = i % 3 === 2 && balance > amount;
    balance += debit ? -amount : amount;
    key += BigInt(1 + (i % 5));
    rows.push({
      account_id: account.id, item_key: String(key), transaction_date: today, value_date: today, transaction_type: debit ? (2 as const) : (1 as const),
      amount: String(amount), balance_after: String(balance), remarks: i % 4 === 0 ? '' : `ﾃｽﾄ ﾒｲｻｲ ${i + 1}`,
    });
  }
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('transactions').values(rows.slice(i, i + 200)).execute();
}

const statement = async (query: string) => {
  const res = await dpopGet(server, s, `/api/v1/accounts/transactions?${query}`);
  if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.text}`);
  return res.body as unknown as Statement;
};
const dbLines = (from: string | undefined, to: string) => {
  let q = db.selectFrom('transactions').select(['item_key', 'amount', 'balance_after', 'remarks']).where('account_id', '=', account.id).where('transaction_date', '<=', to);
  if (from) q = q.where('transaction_date', '>=', from);
  return q.orderBy('item_key').execute();
};

/** Walks a statement query to its end; returns the pages. */
async function walk(query: string): Promise<Statement[]> {
  const pages = [await statement(query)];
  while (pages.at(-1)!.hasNext && pages.length < 10) pages.push(await statement(`${query}&nextItemKey=${pages.at(-1)!.nextItemKey}`));
  return pages;
}

t.test('a long history walked with nextItemKey comes in pages of 500, 500 and 234, with no gaps or duplicates, ascending', async (t) => {
  const expected = await dbLines(today, today);
  t.equal(expected.length, LINES, 'only the inserted lines are dated today');
  const pages = await walk(`accountId=${ACCOUNT}`);
  t.same(pages.map((p) => p.count), ['500', '500', '234'], 'count is a string, at most 500');
  t.same(pages.map((p) => p.transactions.length), [500, 500, 234]);
  t.same(pages.map((p) => p.hasNext), [true, true, false], 'hasNext a JSON boolean');
  for (const [i, p] of pages.entries()) {
    if (p.hasNext) t.equal(p.nextItemKey, p.transactions.at(-1)!.itemKey, `page ${i + 1}: nextItemKey is the last line’s key`);
    else t.notOk('nextItemKey' in p, `page ${i + 1}: no nextItemKey on the last page`);
    t.match(p, { accountId: ACCOUNT, currencyCode: 'JPY', currencyName: '日本円', dateFrom: today, dateTo: today, baseDate: today, baseTime: /^\d{2}:\d{2}:\d{2}\+09:00$/ }, `page ${i + 1}: the envelope`);
  }
  const keys = pages.flatMap((p) => p.transactions.map((l) => l.itemKey));
  t.equal(new Set(keys).size, keys.length, 'no duplicates');
  t.same(keys, expected.map((r) => r.item_key), 'exactly the stored lines, in order: no gaps');
  t.ok(keys.every((k, i) => i === 0 || BigInt(k) > BigInt(keys[i - 1]!)), 'ascending');

  const lines = pages.flatMap((p) => p.transactions);
  let balance = BigInt(before.balance_after.replace(/\.00$/, ''));
  let consistent = true;
  for (const l of lines) {
    balance += l.transactionType === '1' ? BigInt(l.amount) : -BigInt(l.amount);
    if (String(balance) !== l.balance) consistent = false;
  }
  t.ok(consistent, 'each balance follows from the previous one and the amount');
  t.ok(lines.every((l) => l.transactionDate === today && l.valueDate === today && /^[12]$/.test(l.transactionType)), 'dates and types');
  t.ok(lines.every((l) => /^\d+$/.test(l.amount) && /^-?\d+$/.test(l.balance) && /^\d+$/.test(l.itemKey)), 'numbers as strings, whole yen');
  const withoutRemarks = lines.filter((_, i) => expected[i]!.remarks === '');
  t.equal(withoutRemarks.length, Math.ceil(LINES / 4));
  t.ok(withoutRemarks.every((l) => !('remarks' in l)), 'remarks omitted when empty');
  t.ok(lines.filter((_, i) => expected[i]!.remarks !== '').every((l) => l.remarks !== undefined && l.remarks.length > 0), 'remarks present otherwise');
});

t.test('each next page is the same request plus nextItemKey, also with explicit dates', async (t) => {
  const implicit = (await walk(`accountId=${ACCOUNT}`)).flatMap((p) => p.transactions.map((l) => l.itemKey));
  const explicit = await walk(`accountId=${ACCOUNT}&dateFrom=${today}&dateTo=${today}`);
  t.same(explicit.map((p) => p.count), ['500', '500', '234']);
  t.same(explicit.flatMap((p) => p.transactions.map((l) => l.itemKey)), implicit, 'the same lines');
  const reordered = await statement(`nextItemKey=${explicit[0]!.nextItemKey}&dateTo=${today}&accountId=${ACCOUNT}&dateFrom=${today}`);
  t.same(reordered.transactions.map((l) => l.itemKey), explicit[1]!.transactions.map((l) => l.itemKey), 'parameter order does not matter');
  const past = await statement(`accountId=${ACCOUNT}&nextItemKey=999999999999999999`);
  t.match(past, { count: '0', hasNext: false, transactions: [] }, 'a key past the end: an empty page');
  t.notOk('nextItemKey' in past);
});

t.test('date rules: no dates is today only, only dateFrom runs to today, only dateTo runs from the first line', async (t) => {
  const onlyFrom = await walk(`accountId=${ACCOUNT}&dateFrom=2026-11-01`);
  t.equal(onlyFrom[0]!.dateFrom, '2026-11-01');
  t.equal(onlyFrom[0]!.dateTo, today, 'dateTo defaults to today');
  t.same(onlyFrom.flatMap((p) => p.transactions.map((l) => l.itemKey)), (await dbLines('2026-11-01', today)).map((r) => r.item_key), 'every line from the 1st to today');

  const first = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', account.id).orderBy('item_key').limit(1).executeTakeFirstOrThrow();
  const onlyTo = await walk(`accountId=${ACCOUNT}&dateTo=2026-10-15`);
  t.equal(onlyTo[0]!.dateFrom, first.transaction_date, 'dateFrom defaults to the first line’s date');
  t.equal(onlyTo[0]!.dateTo, '2026-10-15');
  const expected = await dbLines(undefined, '2026-10-15');
  t.ok(expected.length > 0, 'the demo statement has lines before then');
  t.same(onlyTo.flatMap((p) => p.transactions.map((l) => l.itemKey)), expected.map((r) => r.item_key), 'every line up to dateTo');

  const range = await walk(`accountId=${ACCOUNT}&dateFrom=2026-10-01&dateTo=2026-10-31`);
  t.same(range.flatMap((p) => p.transactions.map((l) => l.itemKey)), (await dbLines('2026-10-01', '2026-10-31')).map((r) => r.item_key), 'both dates: that range');
  const empty = await statement(`accountId=${ACCOUNT}&dateFrom=2020-01-01&dateTo=2020-01-31`);
  t.match(empty, { count: '0', hasNext: false, transactions: [], dateFrom: '2020-01-01', dateTo: '2020-01-31' }, 'no lines: 200 with an empty list');
  t.same(empty.transactions, []);
});

t.test('balances follow the long history: previous-day and previous-month balances as strings', async (t) => {
  const res = await dpopGet(server, s, `/api/v1/accounts/balances?accountId=${ACCOUNT}`);
  const b = (res.body.balances as Record<string, string>[])[0]!;
  const now = await db.selectFrom('accounts').select('balance').where('id', '=', account.id).executeTakeFirstOrThrow();
  t.equal(b.balance, now.balance.replace(/\.00$/, ''), 'today’s balance');
  t.equal(b.previousDayBalance, before.balance_after.replace(/\.00$/, ''), 'before today’s 1,234 lines');
  const endOfLastMonth = await db.selectFrom('transactions').select('balance_after').where('account_id', '=', account.id)
    .where('transaction_date', '<', `${today.slice(0, 8)}01`).orderBy('item_key', 'desc').limit(1).executeTakeFirst();
  if (endOfLastMonth) t.equal(b.previousMonthBalance, endOfLastMonth.balance_after.replace(/\.00$/, ''), 'at the end of last month');
  t.match(b, { baseDate: today, currencyCode: 'JPY', withdrawableAmount: /^\d+$/ });
});
