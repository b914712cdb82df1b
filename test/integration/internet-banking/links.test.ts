import t from 'tap';
import { sql } from 'kysely';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { insertGrant } from '../business-id/grant-fixture.ts';
import { IbClient, visibleText } from './ib-client.ts';

// argon2 hashes and a database per file.
t.setTimeout(180_000);

const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;
const masterId = await userId('1000000001');
const user1Id = await userId('1000000002');
const user3Id = await userId('1000000004');
const hanakoId = await userId('2000000001');

async function client(loginId: string, password: string) {
  const c = new IbClient(app);
  const res = await c.login(loginId, password);
  if (res.statusCode !== 303) throw new Error(`login of ${loginId} failed: ${res.statusCode}`);
  return c;
}
const master = await client('1000000001', 'Aozora2024');
const user1 = await client('1000000002', 'User1pass2024');
const user2 = await client('1000000003', 'User2pass2024');
const user3 = await client('1000000004', 'User3pass2024');
const hanako = await client('2000000001', 'Hanako2024');

const grantRow = (id: string) => db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** A link with a real client name, accounts and dates: the seeded demo client, covering the user's first account. */
async function linkFor(uid: string): Promise<string> {
  const id = await insertGrant(db, uid);
  await db.updateTable('oauth_clients').set({ metadata: JSON.stringify({ client_name: 'テスト家計簿アプリ' }) }).where('client_id', '=', 'test-client-issue5').execute();
  const account = await db.selectFrom('accounts').innerJoin('users', 'users.customer_id', 'accounts.customer_id').select('accounts.id')
    .where('users.id', '=', uid).orderBy('accounts.is_primary', 'desc').orderBy('accounts.account_number').executeTakeFirstOrThrow();
  await db.insertInto('grant_accounts').values({ grant_id: id, account_id: account.id }).execute();
  // Fixed instants: 2026-11-20 10:00 JST start, 2027-02-18 10:00 JST expiry.
  await db.updateTable('grants').set({ granted_at: new Date('2026-11-20T01:00:00Z'), expires_at: new Date('2027-02-18T01:00:00Z') }).where('id', '=', id).execute();
  return id;
}

t.test('the menu names API連携サービスの利用状況 for every user', async (t) => {
  for (const c of [master, user1, user2, hanako]) {
    const home = await c.get('/ib/');
    t.match(home.body, /<a href="\/ib\/links">API連携サービスの利用状況<\/a>/);
  }
});

t.test('a holder sees their link with every column, and ends it through the confirmation', async (t) => {
  const g = await linkFor(user1Id);
  const other = await linkFor(masterId);
  const page = await user1.get('/ib/links');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  for (const label of ['連携先サービス名', '提供会社名', '利用業務', '対象口座', '連携開始日', '有効期限', '最終利用日時', '連携解除', '終了した連携']) t.match(text, label);
  t.match(text, 'テスト家計簿アプリ 連携解除 株式会社テスト連携 残高照会 法人営業部 普通 1000088 2026/11/20 2027/02/18 10:00 未利用', 'one row, dates in JST');
  t.notMatch(page.body, other, 'not the master\'s link');
  t.notMatch(text, 'ユーザー', 'no user column for a member');

  await db.updateTable('grants').set({ last_used_at: new Date('2026-11-21T03:04:05Z') }).where('id', '=', g).execute();
  t.match(visibleText((await user1.get('/ib/links')).body), '2026/11/21 12:04:05', '最終利用日時 in JST');

  const confirm = await user1.get(`/ib/links/${g}/end`);
  t.equal(confirm.statusCode, 200);
  t.match(visibleText(confirm.body), '連携解除の確認');
  t.match(visibleText(confirm.body), '解除する');
  t.match(visibleText(confirm.body), 'テスト家計簿アプリ');
  t.equal((await grantRow(g)).revoked_at, null, 'the confirmation changes nothing');

  const noToken = await user1.post(`/ib/links/${g}/end`, { _csrf: 'forged' });
  t.equal(noToken.statusCode, 403, 'a forged form token is refused');
  t.equal((await grantRow(g)).revoked_at, null);

  await user1.get(`/ib/links/${g}/end`);
  const done = await user1.post(`/ib/links/${g}/end`, {});
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, `/ib/links/${g}/ended`);
  const donePage = await user1.get(done.headers.location!);
  t.match(visibleText(donePage.body), '連携解除完了');
  t.match(visibleText(donePage.body), 'ご本人による連携解除');
  const row = await grantRow(g);
  t.ok(row.revoked_at);
  t.equal(row.ended_by, 'holder');

  const after = visibleText((await user1.get('/ib/links')).body);
  t.match(after, '利用中の連携はありません。');
  t.match(after, /終了した連携 .*テスト家計簿アプリ .*ご本人による連携解除/);

  const again = await user1.post(`/ib/links/${g}/end`, { _csrf: user1.csrf() });
  t.equal(again.statusCode, 404, 'ending it again is not found');
  await db.updateTable('grants').set({ revoked_at: sql<Date>`now()`, revoked_by: 'system', ended_by: 'system' }).where('id', '=', other).execute();
});

t.test('administrators see and end every user\'s links of their customer; others are refused', async (t) => {
  const g1 = await linkFor(user1Id);
  const g3 = await linkFor(user3Id);
  const gh = await linkFor(hanakoId);

  for (const admin of [master, user3]) {
    const text = visibleText((await admin.get('/ib/links')).body);
    t.match(text, 'ユーザー: 佐藤 美咲（1000000002）', 'each user\'s links under their name');
    t.match(text, '佐藤 美咲（1000000002）', 'user 1 is named');
    t.match((await admin.get('/ib/links')).body, g1);
    t.match((await admin.get('/ib/links')).body, g3);
    t.notMatch((await admin.get('/ib/links')).body, gh, 'never another customer\'s');
  }
  t.equal((await user2.get(`/ib/links/${g1}/end`)).statusCode, 404, 'another member cannot open the confirmation');
  await user2.get('/ib/links');
  t.equal((await user2.post(`/ib/links/${g1}/end`, {})).statusCode, 404, 'nor end it');
  t.equal((await master.get(`/ib/links/${gh}/end`)).statusCode, 404, 'another customer\'s link');
  await master.get('/ib/links');
  t.equal((await master.post(`/ib/links/${gh}/end`, {})).statusCode, 404);
  t.equal((await hanako.get('/ib/links/not-a-uuid/end')).statusCode, 400, 'a malformed id is a 400, not a 500');
  t.equal((await grantRow(g1)).revoked_at, null);

  await user3.get(`/ib/links/${g1}/end`);
  t.equal((await user3.post(`/ib/links/${g1}/end`, {})).statusCode, 303, 'a グループ・ユーザー権限設定 holder ends user 1\'s link');
  t.equal((await grantRow(g1)).ended_by, 'administrator');
  const audit = await db.selectFrom('audit_events').selectAll().where('type', '=', 'grant.revoked').where(sql<boolean>`details->>'grantId' = ${g1}`).executeTakeFirstOrThrow();
  t.equal(audit.actor_user_id, user3Id);
  t.equal(audit.subject_user_id, user1Id);
  t.match(visibleText((await user1.get('/ib/links')).body), '管理者による連携解除', 'the holder sees who ended it');

  const history = visibleText((await master.get('/ib/audit')).body);
  t.match(history, /API連携の解除 成功 高橋 直子（1000000004） 佐藤 美咲（1000000002） .*操作元: 管理者/, 'ログイン・操作履歴 shows the ending with actor, holder and who');

  await master.get(`/ib/links/${g3}/end`);
  t.equal((await master.post(`/ib/links/${g3}/end`, {})).statusCode, 303, 'the master ends user 3\'s link');

  const hanakoPage = visibleText((await hanako.get('/ib/links')).body);
  t.notMatch(hanakoPage, 'ユーザー 連携先', 'an individual has no user column');
  await hanako.get(`/ib/links/${gh}/end`);
  t.equal((await hanako.post(`/ib/links/${gh}/end`, {})).statusCode, 303, 'an individual ends theirs');
  t.equal((await grantRow(gh)).ended_by, 'holder');
});

t.test('English', async (t) => {
  const text = visibleText((await hanako.get('/ib/links?lang=en')).body);
  t.match(text, 'Connected apps');
  t.match(text, 'Ended links');
  t.match(text, 'Ended by the holder');
});
