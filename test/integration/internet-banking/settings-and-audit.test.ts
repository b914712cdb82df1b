import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from './ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from '../business-id/flow-helpers.ts';
import { insertGrant } from '../business-id/grant-fixture.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const customer = () => db.selectFrom('customers').selectAll().where('id', '=', corp.id).executeTakeFirstOrThrow();

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(proposal: Awaited<ReturnType<IbClient['post']>>) {
  const { path, page } = await openConfirmation(master, proposal);
  return { page, done: await master.post(path, { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) }) };
}

t.test('ログイン・操作履歴 lists who did what, filterable by user and date, only with the right', async (t) => {
  const res = await master.get('/ib/audit');
  t.equal(res.statusCode, 200);
  const text = visibleText(res.body);
  t.match(text, 'ログイン・操作履歴');
  t.match(text, / ログイン 成功 青空 太郎（1000000001） /, 'the event in words, the actor by name');
  t.notMatch(text, 'login.success', 'no raw codes');
  t.match(text, /[0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/, 'JST times');
  t.notMatch(text, /"channel"|internet_banking/, 'details in words, not JSON');
  t.match(text, '利用チャネル: インターネットバンキング');
  t.match(res.body, /name="from" type="text"[^>]*placeholder="yyyy-mm-dd"/, 'the date filter is typed as yyyy-mm-dd');
  const en = visibleText((await master.get('/ib/audit?lang=en')).body);
  t.match(en, / Logged in Success /);
  t.match(en, 'Channel: Internet banking');
  await master.get('/ib/audit?lang=ja');
  const u1 = await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const c = new IbClient(app);
  await c.login('1000000002', 'wrong-password');
  const byUser = visibleText((await master.get(`/ib/audit?user=${u1.id}`)).body);
  t.match(byUser, 'ログイン失敗 失敗');
  t.match(byUser, '理由: パスワードの誤り');
  t.notMatch(byUser, / ログイン 成功 /, 'only that user\'s events');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
  t.match(visibleText((await master.get(`/ib/audit?from=${today}&to=${today}`)).body), / ログイン 成功 /);
  t.match(visibleText((await master.get('/ib/audit?from=2000-01-01&to=2000-01-02')).body), '表示対象がありません');
  t.equal((await master.get('/ib/audit?from=yesterday')).statusCode, 400);
  for (const [query, label] of [['from=2026-02-30', '開始日'], ['to=2026-13-45', '終了日'], ['from=0000-01-01', '開始日'], ['user=not-a-user', 'ユーザー']]) {
    const bad = await master.get(`/ib/audit?${query}`);
    t.equal(bad.statusCode, 400, `${query}: the page again, not a 500`);
    t.match(bad.headers['content-type'], /text\/html/);
    t.match(visibleText(bad.body), `${label}の入力内容に誤りがあります。`);
    t.match(visibleText(bad.body), 'ログイン・操作履歴');
    if (label !== 'ユーザー') t.match(visibleText(bad.body), 'カレンダーにある日を yyyy-mm-dd で入力してください');
  }
  t.match(visibleText((await master.get('/ib/audit?from=2024-02-29&to=9999-12-31&user=')).body), / ログイン 成功 /, 'a leap day and the last day there is');
  const other = await db.insertInto('customers').values({ kind: 'corporate', name: '他社', name_kana: 'ﾀｼｬ', business_id_status: 'active' }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('audit_events').values({ type: 'other.customer_event', customer_id: other.id }).execute();
  t.notMatch(visibleText((await master.get('/ib/audit')).body), 'other.customer_event', 'never another customer\'s events');

  const auditor = new IbClient(app);
  await auditor.login('1000000002', 'User1pass2024');
  t.equal((await auditor.get('/ib/audit')).statusCode, 403, 'without ログイン・操作履歴');
  await db.updateTable('groups').set({ audit_log_view: true }).where('name', '=', '円普通照会 書面発行').execute();
  t.equal((await auditor.get('/ib/audit')).statusCode, 200, 'granted: visible on the next request');
  t.match(visibleText(auditor.lastHtml), 'ログイン・操作履歴');
});

t.test('セキュリティ関連設定 alone shows お客さま情報 with only the certificate part (seed 003 §3-1)', async (t) => {
  const user1 = await db.selectFrom('users').select(['group_id']).where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  await db.updateTable('groups').set({ security_settings: true, important_operations: false }).where('id', '=', user1.group_id!).execute();
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', corp.id).execute();
  t.teardown(async () => {
    await db.updateTable('groups').set({ security_settings: false }).where('id', '=', user1.group_id!).execute();
    await db.updateTable('customers').set({ certificate_service_status: 'none' }).where('id', '=', corp.id).execute();
  });
  const member = new IbClient(app);
  await member.login('1000000002', 'User1pass2024');
  const home = visibleText((await member.get('/ib/')).body);
  t.match(home, 'お客さま情報（申込・設定）', 'the menu offers the screen');
  const page = await member.get('/ib/settings');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'action="/ib/settings/certificate/cancel"', '電子証明書 解約 is offered');
  t.notMatch(page.body, 'action="/ib/settings/business-id/cancel"', 'ビジネスID管理 解約 is not (重要権限)');
  t.equal((await member.get('/ib/settings/business-id/apply')).statusCode, 403);
  t.equal((await member.post('/ib/settings/business-id/cancel', {})).statusCode, 403);
});

t.test('お客さま情報（申込・設定）: 解約 is refused while the certificate service is active', async (t) => {
  const page = await master.get('/ib/settings');
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), 'ビジネスID管理 利用中');
  t.match(visibleText(page.body), '電子証明書 未申込');
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', corp.id).execute();
  await master.get('/ib/settings');
  t.notMatch(master.lastHtml, 'action="/ib/settings/business-id/cancel"', 'no 解約 button for ビジネスID管理');
  const r = await master.post('/ib/settings/business-id/cancel', {});
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), '電子証明書サービスを解約してから');

  await master.get('/ib/settings');
  const { page: cp, done } = await confirm(await master.post('/ib/settings/certificate/cancel', {}));
  t.match(visibleText(cp.body), '電子証明書 解約確認');
  t.match(visibleText(done.body), '電子証明書 解約受付完了');
  t.match(await customer(), { certificate_service_status: 'none', login_method: 'password' });
});

t.test('解約 deletes every user and group and revokes their grants; 申込 brings the service back', async (t) => {
  const member = await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const grant = await insertGrant(db, member.id);
  const memberSession = new IbClient(app);
  await memberSession.login('1000000003', 'User2pass2024');
  await master.get('/ib/settings');
  const { page, done } = await confirm(await master.post('/ib/settings/business-id/cancel', {}));
  t.match(visibleText(page.body), 'ビジネスID管理 解約確認');
  t.match(visibleText(page.body), '登録済みのユーザーはすべて削除され');
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), 'ビジネスID管理の解約 完了');
  t.match(await customer(), { business_id_status: 'none' });
  const left = await db.selectFrom('users').select(['role']).where('customer_id', '=', corp.id).where('deleted_at', 'is', null).execute();
  t.same(left, [{ role: 'master' }], 'only the master remains');
  t.equal((await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).execute()).length, 0);
  t.ok((await db.selectFrom('grants').select('revoked_at').where('id', '=', grant).executeTakeFirstOrThrow()).revoked_at);
  t.equal((await memberSession.get('/ib/')).statusCode, 303);
  const home = visibleText((await master.get('/ib/')).body);
  t.notMatch(home, 'グループ一覧', 'no ビジネスID管理 menu without the service');
  t.equal((await master.get('/ib/business-id/groups')).statusCode, 403);

  const apply = await master.get('/ib/settings/business-id/apply');
  for (const label of ['ビジネスID管理 申込', '電子証明書の利用', '利用します', '利用しません', '上記規定に同意して進む']) t.match(visibleText(apply.body), label);
  t.equal((await master.post('/ib/settings/business-id/apply', { certificate: 'yes' })).statusCode, 400, 'must agree');
  t.equal((await master.post('/ib/settings/business-id/apply', { certificate: 'maybe', agree: 'on' })).statusCode, 400);
  const proposal = await master.post('/ib/settings/business-id/apply', { certificate: 'yes', agree: 'on' });
  // 戻る on the confirmation: the form comes back with the choice made, not the default.
  const changeId = String(proposal.headers.location).split('/').pop();
  const back = await master.get(`/ib/settings/business-id/apply?from=${changeId}`);
  t.match(back.body, /value="yes" checked/, '戻る keeps 利用します');
  t.match((await master.get('/ib/settings/business-id/apply')).body, /value="no" checked/, 'a fresh form defaults to 利用しません');
  t.equal((await master.get('/ib/settings/business-id/apply?from=not-a-uuid')).statusCode, 400);
  const { page: ap, done: ad } = await confirm(proposal);
  t.match(visibleText(ap.body), '入力内容の確認');
  t.match(visibleText(ap.body), '利用します');
  t.match(visibleText(ad.body), 'ビジネスID管理 利用申込完了');
  // Seed 003 §2-2: with 電子証明書, the done screen gives the certificate steps and both ways on.
  for (const text of ['上記サービスをご利用いただけるようになりました。', '<ユーザーを追加する場合>', '<ユーザーを追加せず、電子証明書の利用を開始する場合>',
    '電子証明書のご利用手順', 'ログイン方法の変更', '<ご注意>', '当社取引用スマートフォンアプリもあわせてご利用いただけなくなります', '閉じる', 'グループ一覧へ']) {
    t.match(visibleText(ad.body), text, `利用申込完了 shows ${text}`);
  }
  t.match(await customer(), { business_id_status: 'active', certificate_service_status: 'active' });
  t.equal((await master.post('/ib/settings/business-id/apply', { certificate: 'no', agree: 'on' })).statusCode, 409, 'already active');
});

t.test('an individual customer has no ビジネスID管理 or settings, but sees their own history', async (t) => {
  const c = new IbClient(app);
  await c.login('2000000001', 'Hanako2024');
  const home = visibleText((await c.get('/ib/')).body);
  t.notMatch(home, 'グループ一覧');
  t.notMatch(home, 'お客さま情報（申込・設定）');
  t.match(home, 'ログイン・操作履歴');
  t.equal((await c.get('/ib/settings')).statusCode, 403);
  t.equal((await c.get('/ib/audit')).statusCode, 200);
  t.match(visibleText((await c.get('/ib/?lang=en')).body), 'Home');
});
