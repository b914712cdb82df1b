import t from 'tap';
import { accountBalances } from '../../../src/resource-api/balances.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { appendLines, countingRoundTrips, readerAccount, readerWithGrant } from './reader-fixture.ts';

// 残高照会 without HTTP (DESIGN §8): today's balance and yesterday's and last month's closing
// balances, computed by PostgreSQL from the balance and the lines booked since.
const { db } = await createTestDatabase(t);
const NOW = new Date('2026-11-20T03:00:00Z'); // 2026-11-20 12:00 in Japan

const reader = await readerWithGrant(db);
const yen = await readerAccount(db, reader, { type: '01', primary: true });
const dollars = await readerAccount(db, reader, { type: '51' });
const quiet = await readerAccount(db, reader, { type: '11' });
const untouched = await readerAccount(db, reader, { type: '01' });
const outside = await readerAccount(db, reader, { granted: false });

// Yen: 5,000 at the end of October, overdrawn to −3,000 yesterday, 7,000 after today's credit.
await appendLines(db, yen.id, [
  { date: '2026-10-31', type: 1, amount: '5000' },
  { date: '2026-11-19', type: 2, amount: '8000' },
  { date: '2026-11-20', type: 1, amount: '10000' },
]);
// Dollars with cents, negative since the 5th: amounts whose binary floating-point sums are not exact.
await appendLines(db, dollars.id, [
  { date: '2026-10-25', type: 1, amount: '100.10' },
  { date: '2026-11-05', type: 2, amount: '250.25' },
  { date: '2026-11-20', type: 1, amount: '0.30' },
  { date: '2026-11-20', type: 2, amount: '0.20' },
]);
// A time deposit with lines only before this month.
await appendLines(db, quiet.id, [{ date: '2026-09-30', type: 1, amount: '1000000' }]);
// An account without lines but with an opening balance.
await db.updateTable('accounts').set({ balance: '42000', withdrawable_amount: '41000' }).where('id', '=', untouched.id).execute();

t.test('every readable account, in list order, in one round trip', async (t) => {
  const counter = countingRoundTrips(db);
  const { balances } = await accountBalances(counter.db, reader.grant, {}, NOW);
  t.equal(counter.take(), 1, 'one query, whatever the number of accounts and lines');
  t.same(balances.map((b) => b.accountId), [yen.publicId, untouched.publicId, quiet.publicId, dollars.publicId], 'not the account outside the grant');
  t.notOk(balances.some((b) => b.accountId === outside.publicId));
});

t.test('yen: previous-day balance negative, previous-month balance the end of October', async (t) => {
  const { balances: [b] } = await accountBalances(db, reader.grant, { accountId: yen.publicId }, NOW);
  t.same(b, {
    accountId: yen.publicId, accountTypeCode: '01', accountTypeName: '普通預金', balance: '7000', baseDate: '2026-11-20', baseTime: '12:00:00+09:00',
    withdrawableAmount: '0', previousDayBalance: '-3000', previousMonthBalance: '5000', currencyCode: 'JPY', currencyName: '日本円',
  });
});

t.test('dollars: exact cents through negative balances', async (t) => {
  const { balances: [b] } = await accountBalances(db, reader.grant, { accountId: dollars.publicId }, NOW);
  t.match(b, { balance: '-150.05', previousDayBalance: '-150.15', previousMonthBalance: '100.10', withdrawableAmount: '0.00', currencyCode: 'USD', currencyName: '米ドル' });
  const lastBefore = (date: string) => db.selectFrom('transactions').select('balance_after').where('account_id', '=', dollars.id)
    .where('transaction_date', '<', date).orderBy('item_key', 'desc').limit(1).executeTakeFirstOrThrow();
  t.equal(b!.previousDayBalance, (await lastBefore('2026-11-20')).balance_after, 'the last running balance before today');
  t.equal(b!.previousMonthBalance, (await lastBefore('2026-11-01')).balance_after, 'the last running balance before this month');
});

t.test('no lines this month: both previous balances are today’s; no lines at all: the opening balance', async (t) => {
  const { balances } = await accountBalances(db, reader.grant, {}, NOW);
  t.match(balances.find((b) => b.accountId === quiet.publicId), { balance: '1000000', previousDayBalance: '1000000', previousMonthBalance: '1000000' });
  t.match(balances.find((b) => b.accountId === untouched.publicId), { balance: '42000', previousDayBalance: '42000', previousMonthBalance: '42000', withdrawableAmount: '41000' });
});

t.test('the same lines read on another day: the day and month boundaries move with the base date', async (t) => {
  const { balances: [b] } = await accountBalances(db, reader.grant, { accountId: yen.publicId }, new Date('2026-12-01T00:30:00Z'));
  t.match(b, { baseDate: '2026-12-01', balance: '7000', previousDayBalance: '7000', previousMonthBalance: '7000' }, 'nothing booked since November');
  const { balances: [late] } = await accountBalances(db, reader.grant, { accountId: yen.publicId }, new Date('2026-11-19T15:00:00Z'));
  t.match(late, { baseDate: '2026-11-20', previousDayBalance: '-3000' }, 'midnight in Japan is 15:00 UTC');
});

t.test('an account the grant does not cover is account_forbidden; a malformed one invalid_parameter, before any query', async (t) => {
  await t.rejects(accountBalances(db, reader.grant, { accountId: outside.publicId }, NOW), { status: 403, code: 'account_forbidden' });
  await t.rejects(accountBalances(db, reader.grant, { accountId: '999999999999' }, NOW), { status: 403, code: 'account_forbidden' });
  const counter = countingRoundTrips(db);
  for (const accountId of ['10101100008', '10101100008X', '1010110000880', '']) {
    await t.rejects(accountBalances(counter.db, reader.grant, { accountId }, NOW),
      { status: 400, code: 'invalid_parameter', messages: { ja: 'accountIdは12桁の数字で指定してください。', en: 'accountId must be 12 digits.' } }, JSON.stringify(accountId));
  }
  t.equal(counter.take(), 0);
});
