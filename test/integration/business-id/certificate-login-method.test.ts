import 'reflect-metadata';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from './flow-helpers.ts';

// ログイン方法の変更 (お客さま情報（申込・設定） → セキュリティ; DESIGN §14): ユーザーID / 電子証明書, confirmed with
// 取引パスワード and メールトークン, effective from the next login of every user of the customer.
t.setTimeout(240_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const customer = () => db.selectFrom('customers').selectAll().where('id', '=', corp.id).executeTakeFirstOrThrow();
const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(c: IbClient, proposal: Awaited<ReturnType<IbClient['post']>>, tx = MASTER.tx, mail = MASTER.mail) {
  const { path, page } = await openConfirmation(c, proposal);
  return { page, path, done: await c.post(path, { transactionPassword: tx, mailToken: lastToken(smtp.mails, mail) }) };
}

t.test('電子証明書 is refused while the certificate service is not active', async (t) => {
  const page = await master.get('/ib/settings/security');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, 'ログイン方法の変更');
  t.match(text, '現在のログイン方法 ユーザーID');
  t.match(page.body, /value="certificate" disabled/, 'the choice is not offered');
  t.match(text, '「電子証明書」を選択するには、登録情報から電子証明書をお申込みください。');
  const r = await master.post('/ib/settings/security/login-method', { loginMethod: 'certificate' });
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), '電子証明書をお申込みいただいていません。');
  t.match(visibleText(r.body), 'ログイン方法の変更', 'the screen again, with the message');
  t.equal((await master.post('/ib/settings/security/login-method', { loginMethod: 'password' })).statusCode, 409, 'the current method again is refused');
  t.equal((await master.post('/ib/settings/security/login-method', {})).statusCode, 400);
  t.equal((await master.post('/ib/settings/security/login-method', { loginMethod: 'fingerprint' })).statusCode, 400);
  t.match(await customer(), { login_method: 'password' });
});

t.test('the screen lists the users who have no certificate yet', async (t) => {
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', corp.id).execute();
  await issueUserCertificate(db, ca, { userId: await userId(MASTER.id), keyProtectionPassword: 'KeyProtect2026x', profile: 'modern', validityDays: 365, crlUrl: 'https://localhost:8443/pki/crl' });
  await db.insertInto('certificate_orders').values({
    user_id: await userId('1000000002'), kind: 'issue', retrieval_password_hash: '$argon2id$placeholder', expires_at: new Date('2026-12-31T00:00:00Z'), ordered_by_user_id: await userId(MASTER.id),
  }).execute();
  const page = await master.get('/ib/settings/security');
  const text = visibleText(page.body);
  t.notMatch(page.body, /value="certificate" disabled/);
  t.match(text, '電子証明書を取得していないユーザー');
  const table = /<table class="grid" id="users-without-certificate">([\s\S]*?)<\/table>/.exec(page.body)?.[1] ?? '';
  t.notMatch(table, MASTER.id, 'the master has one');
  t.match(visibleText(table), '1000000002 佐藤 美咲 取得待ち（取得期限 2026/12/31）');
  t.match(visibleText(table), '1000000003');
  t.match(visibleText(table), '未発行');
  t.match(visibleText(table), '1000000004');
});

t.test('ログイン方法の変更 → 電子証明書: effective from the next login, open sessions go on', async (t) => {
  const user2 = new IbClient(app);
  await user2.login('1000000003', 'User2pass2024');
  t.equal((await user2.get('/ib/')).statusCode, 200);
  await master.get('/ib/settings/security');
  const proposal = await master.post('/ib/settings/security/login-method', { loginMethod: 'certificate' });
  const changeId = String(proposal.headers.location).split('/').pop();
  const back = await master.get(`/ib/settings/security?from=${changeId}`);
  t.match(back.body, /value="certificate" checked/, '戻る keeps the choice');
  const { page, done } = await confirm(master, proposal);
  t.match(visibleText(page.body), 'ログイン方法の変更 確認');
  t.match(visibleText(page.body), 'ログイン方法 電子証明書');
  t.match(visibleText(page.body), 'すべてのユーザーの次回ログインから適用されます');
  t.match(visibleText(done.body), 'ログイン方法の変更 完了');
  t.match(await customer(), { login_method: 'certificate' });

  t.equal((await user2.get('/ib/')).statusCode, 200, 'a session opened before goes on');
  const fresh = new IbClient(app);
  const refused = await fresh.login('1000000003', 'User2pass2024');
  t.not(refused.statusCode, 303, 'the next ID/password login is refused');
  t.match(visibleText(refused.body), 'このお客さまは電子証明書でログインしてください。');
  const audit = await db.selectFrom('audit_events').select(['details']).where('customer_id', '=', corp.id).where('type', '=', 'login_method.changed').execute();
  t.same(audit.map((a) => a.details), [{ before: { loginMethod: 'password' }, after: { loginMethod: 'certificate' } }]);
  t.match(visibleText((await master.get('/ib/audit')).body), 'ログイン方法: ユーザーID → 電子証明書', 'ログイン・操作履歴 in words');
  t.match(visibleText((await master.get('/ib/settings/security')).body), '現在のログイン方法 電子証明書');
});

t.test('back to ユーザーID, and the right it needs (セキュリティ関連設定)', async (t) => {
  const admin = new IbClient(app);
  await db.updateTable('customers').set({ login_method: 'password' }).where('id', '=', corp.id).execute();
  await admin.login('1000000004', 'User3pass2024');
  await db.updateTable('customers').set({ login_method: 'certificate' }).where('id', '=', corp.id).execute();
  t.equal((await admin.get('/ib/settings/security')).statusCode, 403, 'グループ・ユーザー権限設定 is not enough');
  await admin.get('/ib/');
  t.equal((await admin.post('/ib/settings/security/login-method', { loginMethod: 'password' })).statusCode, 403);
  const group = await db.selectFrom('users').select('group_id').where('login_id', '=', '1000000004').executeTakeFirstOrThrow();
  await db.updateTable('groups').set({ security_settings: true }).where('id', '=', group.group_id!).execute();
  await admin.get('/ib/settings/security');
  const { done } = await confirm(admin, await admin.post('/ib/settings/security/login-method', { loginMethod: 'password' }), 'User3tx2024', 'naoko.takahashi@aozora-shoji.example');
  t.match(visibleText(done.body), 'ログイン方法の変更 完了');
  t.match(await customer(), { login_method: 'password' });
  t.equal((await new IbClient(app).login('1000000003', 'User2pass2024')).statusCode, 303, 'ID/password works again at the next login');
  const en = await master.get('/ib/settings/security?lang=en');
  t.match(visibleText(en.body), 'Change the login method');
  await master.get('/ib/settings/security?lang=ja');
});
