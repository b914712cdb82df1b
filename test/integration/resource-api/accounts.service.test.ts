import t from 'tap';
import { listAccounts } from '../../../src/resource-api/accounts.service.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { countingRoundTrips, readerAccount, readerWithGrant } from './reader-fixture.ts';

// 口座一覧照会 without HTTP (DESIGN §8): which accounts, in which order, with which fields (GMO's
// per-科目 rules: branch, number, names, 代表口座 and 振込限度額 only for ordinary yen accounts).
const { db } = await createTestDatabase(t);
const NOW = new Date('2026-11-20T03:04:05Z'); // 12:04:05 in Japan

t.test('the accounts of the grant that have the PIN registered, the 代表口座 first, then by 科目 and number, in one round trip', async (t) => {
  const reader = await readerWithGrant(db);
  const usd = await readerAccount(db, reader, { type: '51', transferLimit: '2500.5' });
  const time = await readerAccount(db, reader, { type: '11' });
  const ordinary = await readerAccount(db, reader, { type: '01', transferLimit: '3000000' });
  const primary = await readerAccount(db, reader, { type: '01', primary: true });
  await readerAccount(db, reader, { granted: false });
  await readerAccount(db, reader, { pinRegistered: false });

  const counter = countingRoundTrips(db);
  const list = await listAccounts(counter.db, reader.grant, NOW);
  t.equal(counter.take(), 1, 'one query');
  t.same(list.accounts.map((a) => a.accountId), [primary.publicId, ordinary.publicId, time.publicId, usd.publicId],
    'neither the account outside the grant nor the one without the PIN');
  t.same(list.accounts[0], {
    accountId: primary.publicId, branchCode: '101', branchName: '法人営業部', accountTypeCode: '01', accountTypeName: '普通預金（有利息）',
    accountNumber: primary.publicId.slice(5), primaryAccountCode: '1', primaryAccountCodeName: '代表口座', accountName: 'テスト商事',
    accountNameKana: 'ﾃｽﾄｼｮｳｼﾞ', currencyCode: 'JPY', currencyName: '日本円',
  }, 'every field; no transfer limit, so none is given');
  t.match(list.accounts[1], { primaryAccountCode: '2', primaryAccountCodeName: '追加口座', transferLimitAmount: '3000000' }, 'yen without decimals');
  t.same(list.accounts[2], { accountId: time.publicId, accountTypeCode: '11', accountTypeName: '円定期預金', currencyCode: 'JPY', currencyName: '日本円' },
    '円定期: only what GMO gives for it');
  t.same(list.accounts[3], { accountId: usd.publicId, accountTypeCode: '51', accountTypeName: '外貨普通預金', currencyCode: 'USD', currencyName: '米ドル' },
    '外貨普通: only what GMO gives for it, not even a 振込限度額 the row holds');
  t.equal(list.baseDate, '2026-11-20');
  t.equal(list.baseTime, '12:04:05+09:00');
});

t.test('a grant without readable accounts lists none', async (t) => {
  const reader = await readerWithGrant(db);
  await readerAccount(db, reader, { pinRegistered: false });
  t.same((await listAccounts(db, reader.grant, NOW)).accounts, []);
});
