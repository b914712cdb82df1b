import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { verifySecret } from '../../../src/shared/secret-hash.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation, shownVersions } from './flow-helpers.ts';

// Ordering (DESIGN §14; seed 003 §4-1/§4-2): 電子証明書発行（再発行） + 証明書取得用パスワード in ユーザー登録・編集,
// and for the master user in お客さま情報.
t.setTimeout(240_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const groupId = async (name: string) => (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', name).executeTakeFirstOrThrow()).id;
const user = (loginId: string) => db.selectFrom('users').select(['id', 'email', 'version']).where('login_id', '=', loginId).executeTakeFirstOrThrow();
const ordersOf = (userId: string) => db.selectFrom('certificate_orders').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
const setService = (status: 'none' | 'active') => db.updateTable('customers').set({ certificate_service_status: status }).where('id', '=', corp.id).execute();

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(proposal: Awaited<ReturnType<IbClient['post']>>) {
  const { path, page } = await openConfirmation(master, proposal);
  return { page, path, done: await master.post(path, { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) }) };
}

t.test('without the certificate service the form has no checkbox, and a forged tick is refused', async (t) => {
  await setService('none');
  const form = await master.get('/ib/business-id/users/new');
  t.notMatch(form.body, 'name="certificate"');
  t.notMatch(visibleText(form.body), '証明書取得用パスワード');
  t.match(visibleText(form.body), '<電子証明書をご利用の場合のご注意>', 'the seed\'s caution instead');
  t.notMatch(visibleText((await master.get('/ib/business-id/users')).body), '電子証明書の新規発行は');
  const r = await master.post('/ib/business-id/users/new', {
    name: ['証明 太郎'], email: ['cert-forged@aozora-shoji.example'], groupId: [await groupId('振込')], certificate: ['0'], retrievalPassword: ['Retrieve2026'], action: 'confirm',
  });
  t.equal(r.statusCode, 409);
  t.match(visibleText(r.body), '電子証明書をお申込みいただいていません。');
  t.equal((await db.selectFrom('users').select('id').where('email', '=', 'cert-forged@aozora-shoji.example').execute()).length, 0);
});

t.test('ユーザー追加 with 電子証明書発行（再発行）: the order is placed in the change and 電子証明書取得のお願い is mailed', async (t) => {
  await setService('active');
  t.match(visibleText((await master.get('/ib/business-id/users')).body), '電子証明書の新規発行は、操作メニューの「ユーザー追加」、再発行は「ユーザー編集」よりお手続きください。');
  const form = await master.get('/ib/business-id/users/new');
  const text = visibleText(form.body);
  t.match(text, '証明書取得用パスワードとは、ユーザーが、電子証明書の発行手続きをする際に入力する専用パスワードです。');
  t.match(text, '電子証明書発行（再発行）');
  t.match(text, '証明書取得用パスワード');
  t.match(text, '英数8文字以上');
  const g = await groupId('振込');
  const base = { name: ['証明 一郎', '証明 二郎'], email: ['ichiro@aozora-shoji.example', 'jiro@aozora-shoji.example'], groupId: [g, g], action: 'confirm' };

  const missing = await master.post('/ib/business-id/users/new', { ...base, certificate: ['0'], retrievalPassword: ['', ''] });
  t.equal(missing.statusCode, 400);
  t.match(visibleText(missing.body), '1行目: 証明書取得用パスワードを入力してください。');
  t.match(missing.body, /name="certificate" value="0" checked/, 'the tick stays');
  const weak = await master.post('/ib/business-id/users/new', { ...base, certificate: ['0'], retrievalPassword: ['short1', ''] });
  t.equal(weak.statusCode, 400);
  t.match(visibleText(weak.body), '1行目: 証明書取得用パスワードは半角英数字8文字以上');
  t.notMatch(weak.body, 'short1', 'a typed password is never sent back');
  const symbols = await master.post('/ib/business-id/users/new', { ...base, certificate: ['0'], retrievalPassword: ['Retrieve-2026', ''] });
  t.equal(symbols.statusCode, 400, '英数 only');

  const proposal = await master.post('/ib/business-id/users/new', { ...base, certificate: ['0'], retrievalPassword: ['Retrieve2026', 'ignored-when-unticked'] });
  t.equal(proposal.statusCode, 303);
  const changeId = String(proposal.headers.location).split('/').pop()!;
  const pending = await db.selectFrom('pending_changes').select('payload').where('id', '=', changeId).executeTakeFirstOrThrow();
  const stored = JSON.stringify(pending.payload);
  t.notMatch(stored, 'Retrieve2026', 'the pending change never holds the password in clear');
  const hash = (pending.payload as { users: { certificate?: { retrievalPasswordHash: string } }[] }).users[0]!.certificate!.retrievalPasswordHash;
  t.ok(await verifySecret(hash, 'Retrieve2026'), 'only its argon2 hash');
  t.equal((pending.payload as { users: { certificate?: unknown }[] }).users[1]!.certificate, undefined, 'the unticked row orders nothing');

  // 戻る: the form again with the tick, the password asked for again.
  const back = await master.get(`/ib/business-id/users/new?from=${changeId}`);
  t.match(back.body, /name="certificate" value="0" checked/);
  t.notMatch(back.body, /name="certificate" value="1" checked/);
  t.match(visibleText(back.body), '証明書取得用パスワードをもう一度入力してください');

  const mailsBefore = smtp.mails.length;
  const { page, done } = await confirm(proposal);
  t.match(visibleText(page.body), '電子証明書発行（再発行）');
  t.match(visibleText(page.body), '証明書取得用パスワードはメールに記載されません');
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), 'ユーザーの追加や電子証明書を発行された場合は、ユーザーのメールアドレス宛にメールが送信されていますので、ご確認ください。');
  const ichiro = await db.selectFrom('users').select(['id', 'login_id']).where('email', '=', 'ichiro@aozora-shoji.example').executeTakeFirstOrThrow();
  const jiro = await db.selectFrom('users').select(['id']).where('email', '=', 'jiro@aozora-shoji.example').executeTakeFirstOrThrow();
  const orders = await ordersOf(ichiro.id);
  t.equal(orders.length, 1, 'one order for the ticked user');
  t.match(orders[0], { kind: 'issue', status: 'open' });
  t.ok(await verifySecret(orders[0]!.retrieval_password_hash!, 'Retrieve2026'), 'the order checks the password the administrator typed');
  const days = (orders[0]!.expires_at.getTime() - orders[0]!.created_at.getTime()) / 86_400_000;
  t.ok(days > 29.9 && days < 30.1, 'valid 30 days');
  t.equal((await ordersOf(jiro.id)).length, 0);
  const mails = smtp.mails.slice(mailsBefore).filter((m) => m.to.includes('ichiro@aozora-shoji.example'));
  t.same(mails.map((m) => m.subject), ['【れんけい銀行】ユーザー登録のお知らせ', '【れんけい銀行】電子証明書取得のお願い'], 'user ID first, then the retrieval mail');
  t.match(mails[1]!.text, `オーダーID: ${orders[0]!.id}`);
  t.match(mails[1]!.text, `コモンネーム: ${ichiro.login_id}`);
  t.match(mails[1]!.text, `/certificates/retrieve/${orders[0]!.id}`);
  t.notMatch(mails[1]!.text, 'Retrieve2026');
  const audit = await db.selectFrom('audit_events').select(['type', 'details']).where('subject_user_id', '=', ichiro.id).orderBy('occurred_at').execute();
  t.same(audit.map((a) => a.type), ['user.created', 'certificate.ordered']);
  t.match(audit[0]!.details, { certificateOrder: true });
});

t.test('ユーザー編集 with 電子証明書発行（再発行）: a re-issue replaces the open order', async (t) => {
  const u2 = await user('1000000003');
  await master.get('/ib/business-id/users?mode=edit');
  const form = await master.post('/ib/business-id/users/edit', { userIds: [u2.id] });
  t.match(visibleText(form.body), '電子証明書発行（再発行）');
  const versions = shownVersions(form.body);
  const row = { userId: [u2.id], version: versions, name: ['鈴木 健一'], email: [u2.email], groupId: [await groupId('振込')], action: 'confirm' };
  const first = await confirm(await master.post('/ib/business-id/users/edit/confirm', { ...row, certificate: ['0'], retrievalPassword: ['FirstOrder2026'] }));
  t.match(visibleText(first.page.body), '再発行の場合、現在の電子証明書は新しい電子証明書の取得時に失効します。');
  t.equal(first.done.statusCode, 200);
  await master.get('/ib/business-id/users?mode=edit');
  const again = await master.post('/ib/business-id/users/edit', { userIds: [u2.id] });
  await confirm(await master.post('/ib/business-id/users/edit/confirm', { ...row, version: shownVersions(again.body), certificate: ['0'], retrievalPassword: ['SecondOrder2026'] }));
  const orders = await ordersOf(u2.id);
  t.same(orders.map((o) => o.status), ['cancelled', 'open'], 'the newer order cancels the older one');
  t.ok(await verifySecret(orders[1]!.retrieval_password_hash!, 'SecondOrder2026'));
  const audit = await db.selectFrom('audit_events').select('details').where('subject_user_id', '=', u2.id).where('type', '=', 'user.updated').execute();
  t.ok(audit.every((a) => (a.details as { certificateOrder?: boolean }).certificateOrder === true));

  // Without the tick, an edit orders nothing.
  await master.get('/ib/business-id/users?mode=edit');
  const plain = await master.post('/ib/business-id/users/edit', { userIds: [u2.id] });
  await confirm(await master.post('/ib/business-id/users/edit/confirm', { ...row, version: shownVersions(plain.body), name: ['鈴木 健一郎'] }));
  t.equal((await ordersOf(u2.id)).length, 2);
});

t.test('a group administrator may order for users (グループ・ユーザー権限設定 includes 電子証明書の発行)', async (t) => {
  const admin = new IbClient(app);
  await admin.login('1000000004', 'User3pass2024');
  const u1 = await user('1000000002');
  await admin.get('/ib/business-id/users?mode=edit');
  const form = await admin.post('/ib/business-id/users/edit', { userIds: [u1.id] });
  t.equal(form.statusCode, 200);
  const proposal = await admin.post('/ib/business-id/users/edit/confirm', {
    userId: [u1.id], version: shownVersions(form.body), name: ['佐藤 美咲'], email: [u1.email], groupId: [await groupId('円普通照会 書面発行')],
    certificate: ['0'], retrievalPassword: ['ByAdmin2026'], action: 'confirm',
  });
  const { path } = await openConfirmation(admin, proposal);
  const done = await admin.post(path, { transactionPassword: 'User3tx2024', mailToken: lastToken(smtp.mails, 'naoko.takahashi@aozora-shoji.example') });
  t.equal(done.statusCode, 200);
  const orders = await ordersOf(u1.id);
  t.equal(orders.length, 1);
  const admin3 = await user('1000000004');
  t.equal(orders[0]!.ordered_by_user_id, admin3.id, 'the order names who placed it');
});

t.test('the master user\'s own certificate in お客さま情報', async (t) => {
  const page = await master.get('/ib/settings');
  const text = visibleText(page.body);
  t.match(text, '取引責任者の電子証明書');
  t.match(text, '未発行');
  t.match(page.body, 'action="/ib/settings/certificate/order"');
  const unticked = await master.post('/ib/settings/certificate/order', { retrievalPassword: 'MasterCert2026' });
  t.equal(unticked.statusCode, 400);
  t.match(visibleText(unticked.body), '「電子証明書発行（再発行）」をチェックし');
  const weak = await master.post('/ib/settings/certificate/order', { certificate: 'on', retrievalPassword: 'abc' });
  t.equal(weak.statusCode, 400);
  t.match(visibleText(weak.body), '証明書取得用パスワードは半角英数字8文字以上');
  const proposal = await master.post('/ib/settings/certificate/order', { certificate: 'on', retrievalPassword: 'MasterCert2026' });
  t.equal(proposal.statusCode, 303);
  const pending = await db.selectFrom('pending_changes').select('payload').where('id', '=', String(proposal.headers.location).split('/').pop()!).executeTakeFirstOrThrow();
  t.notMatch(JSON.stringify(pending.payload), 'MasterCert2026');
  const { page: cp, done } = await confirm(proposal);
  t.match(visibleText(cp.body), '電子証明書発行（再発行） 確認');
  t.match(visibleText(done.body), '電子証明書発行（再発行） 完了');
  const m = await user(MASTER.id);
  const orders = await ordersOf(m.id);
  t.equal(orders.length, 1);
  t.ok(await verifySecret(orders[0]!.retrieval_password_hash!, 'MasterCert2026'));
  t.ok(smtp.mails.some((x) => x.to.includes(MASTER.mail) && x.subject === '【れんけい銀行】電子証明書取得のお願い' && x.text.includes(orders[0]!.id)));
  t.match(visibleText((await master.get('/ib/settings')).body), '取得待ち（取得期限');

  // Only the master orders the master's certificate.
  const admin = new IbClient(app);
  await admin.login('1000000004', 'User3pass2024');
  t.equal((await admin.post('/ib/settings/certificate/order', { certificate: 'on', retrievalPassword: 'NotMine2026' })).statusCode, 403);
  // And only while the service is in use.
  await setService('none');
  await master.get('/ib/settings');
  t.notMatch(master.lastHtml, 'action="/ib/settings/certificate/order"');
  const refused = await master.post('/ib/settings/certificate/order', { certificate: 'on', retrievalPassword: 'MasterCert2026' });
  t.equal(refused.statusCode, 409);
  await setService('active');
});

t.test('an order confirmed after the service was cancelled in between is refused, nothing half-made', async (t) => {
  const g = await groupId('振込');
  const proposal = await master.post('/ib/business-id/users/new', {
    name: ['証明 三郎'], email: ['saburo@aozora-shoji.example'], groupId: [g], certificate: ['0'], retrievalPassword: ['Saburo2026x'], action: 'confirm',
  });
  await setService('none');
  const { done } = await confirm(proposal);
  t.equal(done.statusCode, 409);
  t.match(visibleText(done.body), '電子証明書をお申込みいただいていません。');
  t.equal((await db.selectFrom('users').select('id').where('email', '=', 'saburo@aozora-shoji.example').execute()).length, 0, 'no user without the order');
  await setService('active');
});
