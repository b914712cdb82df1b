import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from './flow-helpers.ts';

// 電子証明書 申込 / 解約 in お客さま情報（申込・設定） (DESIGN §14 Applying, seed 003 §2-2, §2-3).
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
const issue = async (loginId: string) => issueUserCertificate(db, ca, {
  userId: await userId(loginId), keyProtectionPassword: 'KeyProtect2026x', profile: 'modern', validityDays: 365, crlUrl: 'https://localhost:8443/pki/crl',
});

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(c: IbClient, proposal: Awaited<ReturnType<IbClient['post']>>, tx = MASTER.tx, mail = MASTER.mail) {
  const { path, page } = await openConfirmation(c, proposal);
  return { page, done: await c.post(path, { transactionPassword: tx, mailToken: lastToken(smtp.mails, mail) }) };
}

const auditTypes = async () => (await db.selectFrom('audit_events').select('type').where('customer_id', '=', corp.id).execute()).map((r) => r.type);

t.test('電子証明書 未申込 → 申込, confirmed with 取引パスワード and メールトークン', async (t) => {
  const page = await master.get('/ib/settings');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '電子証明書 未申込');
  t.match(page.body, 'action="/ib/settings/certificate/apply"', '申込 is offered while ビジネスID管理 is in use');
  for (const tab of ['登録情報', 'セキュリティ']) t.match(text, tab);

  const proposal = await master.post('/ib/settings/certificate/apply', {});
  const { page: cp, done } = await confirm(master, proposal);
  t.match(visibleText(cp.body), '入力内容の確認');
  t.match(visibleText(cp.body), '電子証明書の利用 利用します');
  t.match(visibleText(cp.body), '取引パスワード');
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), '電子証明書 利用申込完了');
  t.match(await customer(), { certificate_service_status: 'active', login_method: 'password' }, 'the login method stays until changed');
  t.ok((await auditTypes()).includes('certificate_service.applied'));
  const history = visibleText((await master.get('/ib/audit')).body);
  t.match(history, '電子証明書 申込', 'ログイン・操作履歴 names it');

  const after = visibleText((await master.get('/ib/settings')).body);
  t.match(after, '電子証明書 利用中');
  t.match(after, '電子証明書を利用中の場合、電子証明書を解約後、ビジネスID管理の解約となります。');
  const again = await master.post('/ib/settings/certificate/apply', {});
  t.equal(again.statusCode, 409, 'a second 申込 is refused');
  t.match(visibleText(again.body), '電子証明書は既にお申込み済みです。');
});

t.test('the order rule: ビジネスID管理 解約 is refused while 電子証明書 is active, with the seed\'s words', async (t) => {
  t.match(await customer(), { certificate_service_status: 'active' });
  const settings = await master.get('/ib/settings');
  t.notMatch(settings.body, 'action="/ib/settings/business-id/cancel"', 'no 解約 button for ビジネスID管理 (seed 003 §2-3)');
  const r = await master.post('/ib/settings/business-id/cancel', {});
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), '電子証明書を利用中の場合、電子証明書を解約後、ビジネスID管理の解約となります。');
  t.match(await customer(), { business_id_status: 'active' }, 'nothing changed');
});

t.test('rights: 電子証明書 申込 needs セキュリティ関連設定, not 重要権限', async (t) => {
  const user1 = await db.selectFrom('users').select('group_id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  await db.updateTable('customers').set({ certificate_service_status: 'none' }).where('id', '=', corp.id).execute();
  await db.updateTable('groups').set({ important_operations: true, security_settings: false }).where('id', '=', user1.group_id!).execute();
  t.teardown(async () => {
    await db.updateTable('groups').set({ important_operations: false, security_settings: false }).where('id', '=', user1.group_id!).execute();
  });
  const member = new IbClient(app);
  await member.login('1000000002', 'User1pass2024');
  const page = await member.get('/ib/settings');
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, 'action="/ib/settings/certificate/apply"', '重要権限 alone: no 申込 for certificates');
  t.equal((await member.post('/ib/settings/certificate/apply', {})).statusCode, 403);
  t.equal((await member.get('/ib/settings/security')).statusCode, 403, 'nor the セキュリティ tab');
  await db.updateTable('groups').set({ security_settings: true }).where('id', '=', user1.group_id!).execute();
  await member.get('/ib/settings');
  t.match(member.lastHtml, 'action="/ib/settings/certificate/apply"', 'with セキュリティ関連設定 it is offered');
  const { done } = await confirm(member, await member.post('/ib/settings/certificate/apply', {}), 'User1tx2024', 'misaki.sato@aozora-shoji.example');
  t.match(visibleText(done.body), '電子証明書 利用申込完了');
  t.match(await customer(), { certificate_service_status: 'active' });
});

t.test('電子証明書 解約 revokes every certificate, cancels open orders, sets ID/password, mails the holders', async (t) => {
  await db.updateTable('customers').set({ login_method: 'certificate' }).where('id', '=', corp.id).execute();
  const masterCert = await issue(MASTER.id);
  const user2Cert = await issue('1000000003');
  // An order waiting for retrieval (placed through ユーザー登録・編集 elsewhere): it must not survive the 解約.
  const order = await db.insertInto('certificate_orders').values({
    user_id: await userId('1000000004'), kind: 'issue', retrieval_password_hash: '$argon2id$placeholder', expires_at: new Date(Date.now() + 86_400_000), ordered_by_user_id: await userId(MASTER.id),
  }).returning('id').executeTakeFirstOrThrow();
  const crlBefore = await app.inject({ method: 'GET', url: '/pki/crl' });
  t.equal(crlBefore.statusCode, 200);

  const sessionOfUser2 = new IbClient(app);
  await db.updateTable('customers').set({ login_method: 'password' }).where('id', '=', corp.id).execute();
  await sessionOfUser2.login('1000000003', 'User2pass2024');
  await db.updateTable('customers').set({ login_method: 'certificate' }).where('id', '=', corp.id).execute();

  await master.get('/ib/settings');
  const mailsBefore = smtp.mails.length;
  const { page, done } = await confirm(master, await master.post('/ib/settings/certificate/cancel', {}));
  t.match(visibleText(page.body), '電子証明書 解約確認');
  t.match(visibleText(page.body), '電子証明書の失効は、ご登録ユーザーの各メールアドレスに通知されます。');
  t.match(visibleText(done.body), '電子証明書 解約受付完了');
  t.match(await customer(), { certificate_service_status: 'none', login_method: 'password' });

  const certs = await db.selectFrom('certificates').select(['id', 'status', 'revoke_reason']).where('id', 'in', [masterCert.id, user2Cert.id]).execute();
  t.same(certs.map((c) => [c.status, c.revoke_reason]), [['revoked', 'certificate_service_cancelled'], ['revoked', 'certificate_service_cancelled']]);
  t.match(await db.selectFrom('certificate_orders').select(['status']).where('id', '=', order.id).executeTakeFirstOrThrow(), { status: 'cancelled' });
  const types = await auditTypes();
  t.ok(types.includes('certificate_service.cancelled'));
  t.equal(types.filter((x) => x === 'certificate.revoked').length, 2, 'one audit row per revoked certificate');
  const notices = smtp.mails.slice(mailsBefore).filter((m) => m.subject.includes('電子証明書失効のお知らせ'));
  t.same(notices.map((m) => m.to[0]).sort(), ['kenichi.suzuki@aozora-shoji.example', 'naoko.takahashi@aozora-shoji.example', MASTER.mail].sort(), 'each holder is told (seed 003 §2-3)');

  const crl = new x509.X509Crl((await app.inject({ method: 'GET', url: '/pki/crl' })).rawPayload);
  const listed = crl.entries.map((e) => e.serialNumber.toLowerCase());
  t.ok(listed.includes(masterCert.serialNumber.toLowerCase()) && listed.includes(user2Cert.serialNumber.toLowerCase()), 'both are in the CRL');
  t.equal((await sessionOfUser2.get('/ib/')).statusCode, 200, 'open sessions go on (the method applies at the next login)');
  t.equal((await new IbClient(app).login('1000000003', 'User2pass2024')).statusCode, 303, 'ID/password login works again');

  const again = await master.post('/ib/settings/certificate/cancel', {});
  t.equal(again.statusCode, 409, 'nothing to cancel any more');
  const history = visibleText((await master.get('/ib/audit')).body);
  t.match(history, '電子証明書 解約');
  t.match(history, 'ログイン方法: ユーザーID');
});

t.test('ビジネスID管理 申込 with 利用します / 利用しません after 解約', async (t) => {
  t.match(await customer(), { certificate_service_status: 'none' });
  const { done } = await confirm(master, await master.post('/ib/settings/business-id/cancel', {}));
  t.match(visibleText(done.body), 'ビジネスID管理の解約 完了');
  t.match(await customer(), { business_id_status: 'none' });
  t.equal((await master.post('/ib/settings/certificate/apply', {})).statusCode, 409, '電子証明書 申込 needs ビジネスID管理');
  const settings = await master.get('/ib/settings');
  t.notMatch(settings.body, 'action="/ib/settings/certificate/apply"', 'and is not offered without it');

  const form = await master.get('/ib/settings/business-id/apply');
  for (const label of ['電子証明書の利用', '利用します', '利用しません']) t.match(visibleText(form.body), label);
  const { page, done: applied } = await confirm(master, await master.post('/ib/settings/business-id/apply', { certificate: 'no', agree: 'on' }));
  t.match(visibleText(page.body), '電子証明書の利用 利用しません');
  t.match(visibleText(applied.body), 'ビジネスID管理 利用申込完了');
  t.match(await customer(), { business_id_status: 'active', certificate_service_status: 'none' });
  t.match(visibleText((await master.get('/ib/settings')).body), '電子証明書 未申込');

  // Back to 未申込 to apply again with 利用します.
  await confirm(master, await master.post('/ib/settings/business-id/cancel', {}));
  const { page: p2 } = await confirm(master, await master.post('/ib/settings/business-id/apply', { certificate: 'yes', agree: 'on' }));
  t.match(visibleText(p2.body), '電子証明書の利用 利用します');
  t.match(await customer(), { business_id_status: 'active', certificate_service_status: 'active', login_method: 'password' });
});
