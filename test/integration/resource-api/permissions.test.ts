import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { apiSessionFor, type ApiSession } from '../../helpers/api-session.ts';
import { assertApiError, dpopGet, type ApiResponse } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';

// DESIGN §5 "Permission at the API" with the demo users of §9: what each token can read, and how a
// change to the group, the user, the grant or the PIN registration shows at the next call, with no
// re-consent and no new token.
t.setTimeout(600_000);

const server = await startAuthServer(t);
const { db } = server.database;
const ID = { a88: '101011000088', a658: '101011000658', a771: '101111000771', a995: '101511000995', a123: '100012000123' };

const get = (s: ApiSession, path: string) => dpopGet(server, s, path);
const accountIds = async (s: ApiSession) => {
  const res = await get(s, '/api/v1/accounts');
  if (res.status !== 200) throw new Error(`/accounts answered ${res.status}: ${res.text}`);
  return (res.body.accounts as { accountId: string }[]).map((a) => a.accountId);
};
const balanceIds = async (s: ApiSession) => ((await get(s, '/api/v1/accounts/balances')).body.balances as { accountId: string }[]).map((b) => b.accountId);
const forbidden = (t: Test, res: ApiResponse, label: string) => assertApiError(t, res, 403, 'account_forbidden', { label });

async function groupOf(loginId: string) {
  const u = await db.selectFrom('users').select(['group_id', 'customer_id']).where('login_id', '=', loginId).executeTakeFirstOrThrow();
  return { groupId: u.group_id!, customerId: u.customer_id };
}
const accountRow = (publicId: string) => db.selectFrom('accounts').select(['id', 'customer_id']).where('public_id', '=', publicId).executeTakeFirstOrThrow();

const user1 = await apiSessionFor(server, '1000000002', 'User1pass2024');

t.test('user 1 (円普通照会 group) reads both ordinary accounts and nothing else', async (t) => {
  t.same(await accountIds(user1), [ID.a88, ID.a658]);
  t.same(await balanceIds(user1), [ID.a88, ID.a658]);
  for (const id of [ID.a88, ID.a658]) t.equal((await get(user1, `/api/v1/accounts/transactions?accountId=${id}&dateFrom=2026-11-01`)).status, 200, `${id} statement`);
  for (const id of [ID.a771, ID.a995, ID.a123]) forbidden(t, await get(user1, `/api/v1/accounts/balances?accountId=${id}`), id);
});

t.test('user 2 (振込 group) reads only 1000088', async (t) => {
  const user2 = await apiSessionFor(server, '1000000003', 'User2pass2024');
  t.same(await accountIds(user2), [ID.a88]);
  t.same(await balanceIds(user2), [ID.a88]);
  forbidden(t, await get(user2, `/api/v1/accounts/balances?accountId=${ID.a658}`), '1000658');
  forbidden(t, await get(user2, `/api/v1/accounts/transactions?accountId=${ID.a658}`), '1000658 statement');
});

t.test('user 3 (a group without any 照会) cannot complete the journey, so never gets a token', async (t) => {
  await t.rejects(apiSessionFor(server, '1000000004', 'User3pass2024'), /the journey did not reach the client/);
  const user = await db.selectFrom('users').select('id').where('login_id', '=', '1000000004').executeTakeFirstOrThrow();
  const grants = await db.selectFrom('grants').select('id').where('user_id', '=', user.id).execute();
  t.same(grants, [], 'no grant was created');
});

t.test('the master reads all four accounts, the 円定期 and the USD one with the fields GMO gives for them', async (t) => {
  const master = await apiSessionFor(server, '1000000001', 'Aozora2024');
  t.same(await accountIds(master), [ID.a88, ID.a658, ID.a771, ID.a995]);
  const accounts = (await get(master, '/api/v1/accounts')).body.accounts as Record<string, string>[];
  t.same(accounts[2], { accountId: ID.a771, accountTypeCode: '11', accountTypeName: '円定期預金', currencyCode: 'JPY', currencyName: '日本円' },
    'a time deposit: no branch, number, names, 代表口座 or transfer limit (GMO gives them for 01/02 only)');
  t.same(accounts[3], { accountId: ID.a995, accountTypeCode: '51', accountTypeName: '外貨普通預金', currencyCode: 'USD', currencyName: '米ドル' });
  const usd = (await get(master, `/api/v1/accounts/balances?accountId=${ID.a995}`)).body.balances as Record<string, string>[];
  t.equal(usd.length, 1);
  for (const k of ['balance', 'withdrawableAmount', 'previousDayBalance', 'previousMonthBalance']) t.notOk(k in usd[0]!, `no yen ${k} on a USD account`);
  const row = await db.selectFrom('accounts').select('balance').where('public_id', '=', ID.a995).executeTakeFirstOrThrow();
  t.equal(usd[0]!.fcyTotalBalance, row.balance, 'fcyTotalBalance: the exact stored balance, two decimals');
  t.match(usd[0], { ttb: /^\d+(\.\d{1,3})?$/, baseRateDate: /^\d{4}-\d{2}-\d{2}$/, baseRateTime: /^\d{2}:\d{2}:\d{2}\+09:00$/, yenEquivalent: /^\d+$/ });
  const { rows: [product] } = await sql<{ v: string }>`select trunc(${usd[0]!.fcyTotalBalance}::numeric * ${usd[0]!.ttb}::numeric)::text as v`.execute(db);
  t.equal(usd[0]!.yenEquivalent, product!.v, 'yenEquivalent = fcyTotalBalance × ttb, whole yen, exact');
  const yen = (await get(master, `/api/v1/accounts/balances?accountId=${ID.a771}`)).body.balances as Record<string, string>[];
  t.match(yen[0], { balance: /^\d+$/ }, 'a time deposit: whole yen');
  for (const k of ['withdrawableAmount', 'previousDayBalance', 'previousMonthBalance', 'fcyTotalBalance']) t.notOk(k in yen[0]!, `no ${k} on a time deposit`);
  for (const id of [ID.a995, ID.a771]) {
    assertApiError(t, await get(master, `/api/v1/accounts/transactions?accountId=${id}&dateFrom=2026-08-01&dateTo=2026-11-20`), 400, 'invalid_parameter', {
      label: `${id}: no statements but for 01/02`, message: '入出金明細照会は普通預金（科目コード01・02）の口座のみ指定できます。',
    });
  }
  forbidden(t, await get(master, `/api/v1/accounts/balances?accountId=${ID.a123}`), 'the individual’s account');
});

t.test('the individual holder reads their own account, until the consent period ends', async (t) => {
  const hanako = await apiSessionFor(server, '2000000001', 'Hanako2024');
  t.same(await accountIds(hanako), [ID.a123]);
  const account = (await get(hanako, '/api/v1/accounts')).body.accounts as Record<string, string>[];
  t.match(account[0], { branchCode: '100', branchName: '本店営業部', accountName: '青空 花子', primaryAccountCode: '1' });
  forbidden(t, await get(hanako, `/api/v1/accounts/balances?accountId=${ID.a88}`), 'a corporate account');
  // The consent period is over: the grant expired, so its token stops working before its own exp.
  await db.updateTable('grants').set({ granted_at: new Date(Date.now() - 2 * 86_400_000), expires_at: new Date(Date.now() - 1_000) })
    .where('client_id', '=', hanako.tc.clientId).execute();
  assertApiError(t, await get(hanako, '/api/v1/accounts'), 401, 'invalid_token', { label: 'expired grant' });
});

t.test('removing 照会 on 1000658 from user 1’s group takes effect at the next call; restoring it brings it back with the same token', async (t) => {
  const { groupId } = await groupOf('1000000002');
  const account = await accountRow(ID.a658);
  const rights = await db.selectFrom('group_account_rights').selectAll().where('group_id', '=', groupId).where('account_id', '=', account.id).executeTakeFirstOrThrow();
  const tokenBefore = user1.tokens.access_token;

  await db.deleteFrom('group_account_rights').where('group_id', '=', groupId).where('account_id', '=', account.id).execute();
  forbidden(t, await get(user1, `/api/v1/accounts/balances?accountId=${ID.a658}`), 'balances of 1000658');
  forbidden(t, await get(user1, `/api/v1/accounts/transactions?accountId=${ID.a658}`), 'statement of 1000658');
  t.same(await accountIds(user1), [ID.a88], '/accounts drops it');
  t.same(await balanceIds(user1), [ID.a88], '/balances drops it');
  t.equal((await get(user1, `/api/v1/accounts/balances?accountId=${ID.a88}`)).status, 200, 'the other account is untouched');

  await db.insertInto('group_account_rights').values(rights).execute();
  t.same(await accountIds(user1), [ID.a88, ID.a658], 'back after restoring');
  t.equal((await get(user1, `/api/v1/accounts/balances?accountId=${ID.a658}`)).status, 200);
  t.equal(user1.tokens.access_token, tokenBefore, 'the same token throughout: no re-consent, no new token');
});

t.test('a group given 外貨普通照会 sees the USD account; taking the right away hides it at the next call', async (t) => {
  const { groupId } = await groupOf('1000000002');
  await db.updateTable('groups').set({ fx_inquiry: true }).where('id', '=', groupId).execute();
  t.teardown(() => db.updateTable('groups').set({ fx_inquiry: false, fx_operate: false }).where('id', '=', groupId).execute());
  const withFx = await apiSessionFor(server, '1000000002', 'User1pass2024');
  t.same(await accountIds(withFx), [ID.a88, ID.a658, ID.a995], 'the USD account was consented to');
  t.equal((await get(withFx, `/api/v1/accounts/balances?accountId=${ID.a995}`)).status, 200);

  await db.updateTable('groups').set({ fx_inquiry: false, fx_operate: false }).where('id', '=', groupId).execute();
  t.same(await accountIds(withFx), [ID.a88, ID.a658], 'hidden from /accounts');
  forbidden(t, await get(withFx, `/api/v1/accounts/balances?accountId=${ID.a995}`), 'USD balance');
  // Statements exist for ordinary yen accounts only (GMO's rule, DESIGN §8): a USD statement is a bad parameter whatever the rights.
  assertApiError(t, await get(withFx, `/api/v1/accounts/transactions?accountId=${ID.a995}`), 400, 'invalid_parameter', {
    label: 'USD statement', message: '入出金明細照会は普通預金（科目コード01・02）の口座のみ指定できます。',
  });
  await db.updateTable('groups').set({ fx_inquiry: true }).where('id', '=', groupId).execute();
  t.same(await accountIds(withFx), [ID.a88, ID.a658, ID.a995], 'visible again once the right is back');
});

t.test('a deleted PIN registration makes that account 403 and leaves the others readable', async (t) => {
  const user = await db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const account = await accountRow(ID.a88);
  await db.deleteFrom('pin_registrations').where('user_id', '=', user.id).where('account_id', '=', account.id).execute();
  forbidden(t, await get(user1, `/api/v1/accounts/balances?accountId=${ID.a88}`), 'balances of 1000088');
  forbidden(t, await get(user1, `/api/v1/accounts/transactions?accountId=${ID.a88}`), 'statement of 1000088');
  t.same(await accountIds(user1), [ID.a658], '/accounts lists only the other');
  await db.insertInto('pin_registrations').values({ user_id: user.id, account_id: account.id, customer_id: user.customer_id }).execute();
  t.same(await accountIds(user1), [ID.a88, ID.a658], 'registered again: readable again');
});

t.test('a revoked grant makes its token 401 at the next call', async (t) => {
  const s = await apiSessionFor(server, '1000000003', 'User2pass2024');
  t.equal((await get(s, '/api/v1/accounts')).status, 200);
  await db.updateTable('grants').set({ revoked_at: new Date(), revoked_by: 'administrator', revoke_reason: 'test' }).where('client_id', '=', s.tc.clientId).execute();
  assertApiError(t, await get(s, '/api/v1/accounts'), 401, 'invalid_token');
  assertApiError(t, await get(s, `/api/v1/accounts/balances?accountId=${ID.a88}`), 401, 'invalid_token');
});

t.test('locking user 1 makes every token of theirs 401 at the next call', async (t) => {
  t.equal((await get(user1, '/api/v1/accounts')).status, 200);
  await db.updateTable('users').set({ status: 'locked', locked_at: new Date() }).where('login_id', '=', '1000000002').execute();
  const res = await get(user1, '/api/v1/accounts');
  assertApiError(t, res, 401, 'invalid_token');
  t.match(res.headers.get('www-authenticate'), /^DPoP error="invalid_token"/);
  assertApiError(t, await get(user1, `/api/v1/accounts/transactions?accountId=${ID.a88}`), 401, 'invalid_token', { label: 'statement' });
});
