import { sql } from 'kysely';
import t from 'tap';
import { accountBalances } from '../../../src/resource-api/balances.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { appendLines, countingRoundTrips, readerAccount, readerWithGrant } from './reader-fixture.ts';

// 残高照会 without HTTP (DESIGN §8): today's balance and yesterday's and last month's closing
// balances, computed by PostgreSQL from the balance and the lines booked since; GMO's per-科目 fields
// (円定期: the balance only; 外貨普通: the currency balance, the TTB and its yen equivalent).
const { db } = await createTestDatabase(t);
const NOW = new Date('2026-11-20T03:00:00Z'); // 2026-11-20 12:00 in Japan

const reader = await readerWithGrant(db);
const yen = await readerAccount(db, reader, { type: '01', primary: true });
const dollars = await readerAccount(db, reader, { type: '51' });
const quiet = await readerAccount(db, reader, { type: '11' });
const untouched = await readerAccount(db, reader, { type: '01' });
const outside = await readerAccount(db, reader, { granted: false });
// The rate in force from 2026-11-20 10:00 JST (rates come from the bank's feed; none is built in).
await sql`insert into exchange_rates (currency, published_at, ttb) values ('USD', '2026-11-20 10:00:00+09', 149.500)`.execute(db);

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
    accountId: yen.publicId, accountTypeCode: '01', accountTypeName: '普通預金（有利息）', balance: '7000', baseDate: '2026-11-20', baseTime: '12:00:00+09:00',
    withdrawableAmount: '0', previousDayBalance: '-3000', previousMonthBalance: '5000', currencyCode: 'JPY', currencyName: '日本円',
  });
});

t.test('外貨普通: exact cents through a negative balance, no yen balance, the TTB in force and the yen equivalent truncated toward zero', async (t) => {
  const { balances: [b] } = await accountBalances(db, reader.grant, { accountId: dollars.publicId }, NOW);
  t.same(b, {
    accountId: dollars.publicId, accountTypeCode: '51', accountTypeName: '外貨普通預金', baseDate: '2026-11-20', baseTime: '12:00:00+09:00',
    currencyCode: 'USD', currencyName: '米ドル',
    // The rate inserted above: USD TTB 149.500 from 2026-11-20 10:00 JST. −150.05 × 149.5 = −22,432.475.
    fcyTotalBalance: '-150.05', ttb: '149.5', baseRateDate: '2026-11-20', baseRateTime: '10:00:00+09:00', yenEquivalent: '-22432',
  });
  const { rows: [check] } = await sql<{ v: string }>`select trunc(${b!.fcyTotalBalance}::numeric * ${b!.ttb}::numeric)::text as v`.execute(db);
  t.equal(b!.yenEquivalent, check!.v, 'the same product in PostgreSQL numeric');
});

t.test('外貨普通: the newest rate published at or before the inquiry; none yet, no rate fields', async (t) => {
  await sql`insert into exchange_rates (currency, published_at, ttb) values ('USD', '2026-11-20T02:30:00Z', 150.123), ('USD', '2026-11-20T05:00:00Z', 151)`.execute(db);
  t.teardown(() => sql`delete from exchange_rates where ttb <> 149.5`.execute(db));
  const { balances: [noon] } = await accountBalances(db, reader.grant, { accountId: dollars.publicId }, NOW);
  // 150.05 × 150.123 = 22,525.956…
  t.match(noon, { ttb: '150.123', baseRateDate: '2026-11-20', baseRateTime: '11:30:00+09:00', yenEquivalent: '-22525' }, 'the 11:30 rate at noon, not the 14:00 one');
  const { balances: [later] } = await accountBalances(db, reader.grant, { accountId: dollars.publicId }, new Date('2026-11-20T06:00:00Z'));
  t.match(later, { ttb: '151', baseRateTime: '14:00:00+09:00', yenEquivalent: '-22657' });
  const { balances: [before] } = await accountBalances(db, reader.grant, { accountId: dollars.publicId }, new Date('2026-11-19T00:00:00Z'));
  t.same(Object.keys(before!).filter((k) => ['ttb', 'baseRateDate', 'baseRateTime', 'yenEquivalent', 'balance'].includes(k)), [], 'before any rate: the currency balance only');
  t.equal(before!.fcyTotalBalance, '-150.05');
});

t.test('円定期: the balance only; no lines this month: both previous balances are today’s; no lines at all: the opening balance', async (t) => {
  const { balances } = await accountBalances(db, reader.grant, {}, NOW);
  t.same(balances.find((b) => b.accountId === quiet.publicId), {
    accountId: quiet.publicId, accountTypeCode: '11', accountTypeName: '円定期預金', balance: '1000000', baseDate: '2026-11-20', baseTime: '12:00:00+09:00',
    currencyCode: 'JPY', currencyName: '日本円',
  });
  t.match(balances.find((b) => b.accountId === untouched.publicId), { balance: '42000', previousDayBalance: '42000', previousMonthBalance: '42000', withdrawableAmount: '41000' });
  const { balances: [yenQuiet] } = await accountBalances(db, reader.grant, { accountId: yen.publicId }, new Date('2026-12-01T00:30:00Z'));
  t.match(yenQuiet, { balance: '7000', previousDayBalance: '7000', previousMonthBalance: '7000' });
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
