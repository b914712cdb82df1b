import t from 'tap';
import { accountBalances, STATEMENT_PAGE_SIZE, statementPage } from '../../../src/accounts/accounts.repository.ts';
import { formatAmount } from '../../../src/accounts/account-types.ts';
import { visibleAccounts } from '../../../src/business-id/account-access.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from './ib-client.ts';

t.setTimeout(180_000);

const { app, database } = await buildTestApp(t);
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;
const account = (number: string) => db.selectFrom('accounts').select(['id', 'public_id']).where('account_number', '=', number).executeTakeFirstOrThrow();

t.test('formatAmount: yen whole with 円, other currencies with two decimals and their code, exact strings', async (t) => {
  t.equal(formatAmount('42000000', 'JPY', 'ja'), '42,000,000円');
  t.equal(formatAmount('-1500', 'JPY', 'ja'), '-1,500円');
  t.equal(formatAmount('42000000', 'JPY', 'en'), '¥42,000,000');
  t.equal(formatAmount('12345.5', 'USD', 'ja'), '12,345.50 USD');
  t.equal(formatAmount('9007199254740993.25', 'USD', 'en'), '9,007,199,254,740,993.25 USD', 'beyond float precision, kept exact');
});

t.test('statementPage: newest first, keyset pages that neither repeat nor skip a line', async (t) => {
  const a = await account('1000088');
  const all = await db.selectFrom('transactions').select('item_key').where('account_id', '=', a.id).orderBy('item_key', 'desc').execute();
  t.ok(all.length > STATEMENT_PAGE_SIZE, 'the demo statement spans several pages');
  const seen: string[] = [];
  let before: string | undefined;
  for (let i = 0; i < 100; i += 1) {
    const page = await statementPage(db, a.id, { before });
    t.ok(page.rows.length <= STATEMENT_PAGE_SIZE);
    seen.push(...page.rows.map((r) => r.itemKey));
    if (!page.olderKey) break;
    before = page.olderKey;
  }
  t.same(seen, all.map((r) => String(r.item_key)), 'every line once, newest first');
  t.same((await statementPage(db, a.id, { before: '1' })).rows, [], 'nothing before the first line');
});

t.test('accountBalances: by id, only the ones asked for', async (t) => {
  const a = await account('1000995');
  const balances = await accountBalances(db, [a.id]);
  t.equal(balances.size, 1);
  t.match(balances.get(a.id)!.balance, /^[0-9]+(\.[0-9]+)?$/);
  t.equal((await accountBalances(db, [])).size, 0);
});

t.test('home lists what the group may see (the API\'s rule), with type names and currencies', async (t) => {
  const master = new IbClient(app);
  await master.login('1000000001', 'Aozora2024');
  const text = visibleText((await master.get('/ib/')).body);
  t.match(text, '普通');
  t.match(text, /円定期 1000771/, '円定期 by name, not a bare number');
  t.match(text, /外貨普通 1000995 [0-9,]+\.[0-9]{2} USD/, '外貨普通 in its own currency');

  const member = new IbClient(app);
  await member.login('1000000002', 'User1pass2024');
  const home = visibleText((await member.get('/ib/')).body);
  const visible = (await visibleAccounts(db, await userId('1000000002'))).map((a) => a.accountNumber);
  t.same(visible.sort(), ['1000088', '1000658'], 'the domain rule: 照会 on two 円普通 accounts');
  for (const n of visible) t.match(home, n, `${n} shown to user 1`);
  t.notMatch(home, '1000771');
  t.notMatch(home, '1000995');

  const none = new IbClient(app);
  await none.login('1000000004', 'User3pass2024');
  t.match(visibleText((await none.get('/ib/')).body), '照会できる口座はありません。');
});

t.test('残高照会 and 入出金明細: for a visible account; 404 for one the group may not see', async (t) => {
  const member = new IbClient(app);
  await member.login('1000000002', 'User1pass2024');
  const mine = await account('1000088');
  const balance = await member.get(`/ib/accounts/${mine.public_id}`);
  t.equal(balance.statusCode, 200);
  t.match(visibleText(balance.body), /残高照会 .*照会日時: [0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9]{2}:[0-9]{2}/);
  const first = await member.get(`/ib/accounts/${mine.public_id}/statements`);
  t.equal(first.statusCode, 200);
  t.match(visibleText(first.body), /入出金明細 .*2026\/11\/[0-9]{2}/, 'dates as the bank shows them');
  const older = /statements\?before=([0-9]+)"/.exec(first.body);
  t.ok(older, 'a link to the older page');
  const second = await member.get(`/ib/accounts/${mine.public_id}/statements?before=${older![1]}`);
  t.equal(second.statusCode, 200);
  t.match(visibleText(second.body), '最新の明細へ');

  const fx = await account('1000995');
  t.equal((await member.get(`/ib/accounts/${fx.public_id}`)).statusCode, 404, 'no 外貨普通照会: not found, as via the API');
  t.equal((await member.get(`/ib/accounts/${fx.public_id}/statements`)).statusCode, 404);
  t.equal((await member.get('/ib/accounts/abc/statements')).statusCode, 400, 'a malformed id is refused by the schema');
  t.equal((await member.get(`/ib/accounts/${mine.public_id}/statements?before=x`)).statusCode, 400);
});
