import t from 'tap';
import { accountStatement, PAGE_SIZE, type StatementPage } from '../../../src/resource-api/statements.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { appendLines, appendManyLines, countingRoundTrips, readerAccount, readerWithGrant } from './reader-fixture.ts';

// 入出金明細照会 without HTTP (DESIGN §8): keyset pages of at most PAGE_SIZE lines, the date
// defaults, negative balances, and the parameter rules (ordinary yen accounts only, as GMO's).
const { db } = await createTestDatabase(t);
const TODAY = '2026-11-20';
const NOW = new Date('2026-11-20T03:00:00Z'); // 12:00 in Japan

const reader = await readerWithGrant(db);
const overPage = await readerAccount(db, reader);
const fullPage = await readerAccount(db, reader);
const yen = await readerAccount(db, reader);
const outside = await readerAccount(db, reader, { granted: false });
await appendManyLines(db, overPage.id, TODAY, PAGE_SIZE + 1);
await appendManyLines(db, fullPage.id, TODAY, PAGE_SIZE);
await appendLines(db, yen.id, [
  { date: '2026-10-25', type: 1, amount: '10010', remarks: 'ﾌﾘｺﾐ ﾃｽﾄ' },
  { date: '2026-11-05', type: 2, amount: '25025', remarks: 'ﾋｷｵﾄｼ' },
  { date: '2026-11-20', type: 1, amount: '30' },
  { date: '2026-11-20', type: 2, amount: '20', remarks: 'ﾃｽｳﾘｮｳ' },
]);

const statement = (accountId: string, query: { dateFrom?: string; dateTo?: string; nextItemKey?: string } = {}, handle = db) =>
  accountStatement(handle, reader.grant, { accountId, ...query }, NOW);
const keysOf = (p: StatementPage) => p.transactions.map((l) => l.itemKey);
const storedKeys = async (accountId: string) =>
  (await db.selectFrom('transactions').select('item_key').where('account_id', '=', accountId).orderBy('item_key').execute()).map((r) => r.item_key);

t.test('one line more than a page: a full page with nextItemKey, then the last line; two round trips each', async (t) => {
  const counter = countingRoundTrips(db);
  const first = await statement(overPage.publicId, {}, counter.db);
  t.equal(counter.take(), 2, 'the account, then the lines');
  t.equal(first.transactions.length, PAGE_SIZE);
  t.equal(first.count, String(PAGE_SIZE), 'count is a string');
  t.equal(first.hasNext, true);
  t.equal(first.nextItemKey, first.transactions.at(-1)!.itemKey, 'nextItemKey is the last line’s key');
  t.match(first, { accountId: overPage.publicId, currencyCode: 'JPY', currencyName: '日本円', dateFrom: TODAY, dateTo: TODAY, baseDate: TODAY, baseTime: '12:00:00+09:00' });

  const second = await statement(overPage.publicId, { nextItemKey: first.nextItemKey! }, counter.db);
  t.equal(counter.take(), 2);
  t.match(second, { count: '1', hasNext: false });
  t.notOk('nextItemKey' in second, 'no nextItemKey on the last page');
  t.same([...keysOf(first), ...keysOf(second)], await storedKeys(overPage.id), 'every stored line once, ascending: no gaps, no repeats');
});

t.test('exactly a page of lines: one page, no next', async (t) => {
  const page = await statement(fullPage.publicId);
  t.match(page, { count: String(PAGE_SIZE), hasNext: false });
  t.notOk('nextItemKey' in page);
  t.same(keysOf(page), await storedKeys(fullPage.id));
  const past = await statement(fullPage.publicId, { nextItemKey: page.transactions.at(-1)!.itemKey });
  t.match(past, { count: '0', hasNext: false, transactions: [] }, 'a key at the end: an empty page');
});

t.test('lines and running balances as the bank writes them, negative balances included', async (t) => {
  const page = await statement(yen.publicId, { dateFrom: '2026-10-01' });
  t.match(page, { currencyCode: 'JPY', currencyName: '日本円', dateFrom: '2026-10-01', dateTo: TODAY, count: '4', hasNext: false });
  t.same(page.transactions.map(({ itemKey: _, ...l }) => l), [
    { transactionDate: '2026-10-25', valueDate: '2026-10-25', transactionType: '1', amount: '10010', remarks: 'ﾌﾘｺﾐ ﾃｽﾄ', balance: '10010' },
    { transactionDate: '2026-11-05', valueDate: '2026-11-05', transactionType: '2', amount: '25025', remarks: 'ﾋｷｵﾄｼ', balance: '-15015' },
    { transactionDate: '2026-11-20', valueDate: '2026-11-20', transactionType: '1', amount: '30', balance: '-14985' },
    { transactionDate: '2026-11-20', valueDate: '2026-11-20', transactionType: '2', amount: '20', remarks: 'ﾃｽｳﾘｮｳ', balance: '-15005' },
  ], 'a debit is type 2 with a positive amount; empty remarks are omitted');
});

t.test('statements are for ordinary yen accounts only: a 円定期 or 外貨普通 is invalid_parameter, before any query', async (t) => {
  const time = await readerAccount(db, reader, { type: '11' });
  const dollars = await readerAccount(db, reader, { type: '51' });
  const messages = {
    ja: '入出金明細照会は普通預金（科目コード01・02）の口座のみ指定できます。',
    en: 'Statements are available for ordinary yen accounts (account type 01 or 02) only.',
  };
  const counter = countingRoundTrips(db);
  const cases: [string, string][] = [['円定期 (11), in the grant', time.publicId], ['外貨普通 (51), in the grant', dollars.publicId], ['an unknown 科目 99', '999999999999']];
  for (const [label, id] of cases) {
    await t.rejects(statement(id, {}, counter.db), { status: 400, code: 'invalid_parameter', messages }, label);
  }
  t.equal(counter.take(), 0, 'decided from the identifier alone: nothing about the account is read or revealed');
});

t.test('date defaults: no dates is today; only dateFrom runs to today; only dateTo runs from the first line', async (t) => {
  t.match(await statement(yen.publicId), { dateFrom: TODAY, dateTo: TODAY, count: '2' }, 'today only');
  t.match(await statement(yen.publicId, { dateFrom: '2026-11-01' }), { dateFrom: '2026-11-01', dateTo: TODAY, count: '3' });
  const counter = countingRoundTrips(db);
  const onlyTo = await statement(yen.publicId, { dateTo: '2026-11-10' }, counter.db);
  t.equal(counter.take(), 2, 'the first line’s date comes with the account');
  t.match(onlyTo, { dateFrom: '2026-10-25', dateTo: '2026-11-10', count: '2' });
  t.match(await statement(yen.publicId, { dateFrom: '2026-11-06', dateTo: '2026-11-19' }), { count: '0', hasNext: false, transactions: [] }, 'a range without lines');
  const empty = await readerAccount(db, reader);
  t.match(await statement(empty.publicId, { dateTo: '2026-11-10' }), { dateFrom: '2026-11-10', dateTo: '2026-11-10', count: '0' }, 'no lines at all: from dateTo');
});

const order = { ja: 'dateFromはdateTo以前の日付を指定してください。', en: 'dateFrom must not be after dateTo.' };

t.test('a range that ends before it starts is invalid_parameter, also once the defaults are applied', async (t) => {
  await t.rejects(statement(yen.publicId, { dateFrom: '2026-11-20', dateTo: '2026-11-01' }), { status: 400, code: 'invalid_parameter', messages: order });
  await t.rejects(statement(yen.publicId, { dateFrom: '2099-01-01' }), { status: 400, code: 'invalid_parameter', messages: order }, 'only dateFrom, after today');
  await t.rejects(statement(yen.publicId, { dateTo: '2026-10-01' }), { status: 400, code: 'invalid_parameter', messages: order }, 'only dateTo, before the first line');
});

t.test('malformed parameters are invalid_parameter, each with its message, before any query', async (t) => {
  const accountId = { ja: 'accountIdは12桁の数字で指定してください。', en: 'accountId must be 12 digits.' };
  const date = (n: string) => ({ ja: `${n}はYYYY-MM-DD形式の日付で指定してください。`, en: `${n} must be a date in YYYY-MM-DD.` });
  const itemKey = { ja: 'nextItemKeyが正しくありません。', en: 'nextItemKey is invalid.' };
  const cases: [string, string, { dateFrom?: string; dateTo?: string; nextItemKey?: string }, { ja: string; en: string }][] = [
    ['accountId too short', '10101100008', {}, accountId],
    ['accountId with a letter', '10101100008X', {}, accountId],
    ['dateFrom with slashes', yen.publicId, { dateFrom: '2026/11/01' }, date('dateFrom')],
    ['dateTo no calendar day', yen.publicId, { dateTo: '2026-02-30' }, date('dateTo')],
    ['dateFrom in year 0000', yen.publicId, { dateFrom: '0000-01-01' }, date('dateFrom')],
    ['nextItemKey with letters', yen.publicId, { nextItemKey: 'abc' }, itemKey],
    ['nextItemKey of 19 digits', yen.publicId, { nextItemKey: '1234567890123456789' }, itemKey],
  ];
  const counter = countingRoundTrips(db);
  for (const [label, id, query, messages] of cases) {
    await t.rejects(statement(id, query, counter.db), { status: 400, code: 'invalid_parameter', messages }, label);
  }
  t.equal(counter.take(), 0);
});

t.test('an account outside the grant is account_forbidden after one round trip', async (t) => {
  const counter = countingRoundTrips(db);
  await t.rejects(statement(outside.publicId, {}, counter.db), { status: 403, code: 'account_forbidden' });
  t.equal(counter.take(), 1, 'the lines are never read');
  await t.rejects(statement('999019999999'), { status: 403, code: 'account_forbidden' });
});
