import t from 'tap';
import { sql } from 'kysely';
import { MAX_USERS_PER_CUSTOMER } from '../../../src/business-id/users.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { loginId as randomLoginId } from '../../helpers/factories.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation, shownVersions } from './flow-helpers.ts';
import { insertGrant } from './grant-fixture.ts';

// Real browser / many argon2 hashes: generous under a loaded CI machine.
t.setTimeout(180_000);
const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false', PUBLIC_URL: 'https://bank.example.test' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const ADMIN = { id: '1000000004', pw: 'User3pass2024', tx: 'User3tx2024', mail: 'naoko.takahashi@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const groupId = async (name: string) => (await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', name).executeTakeFirstOrThrow()).id;
const user = (login: string) => db.selectFrom('users').selectAll().where('login_id', '=', login).executeTakeFirstOrThrow();
const G_TRANSFER = await groupId('振込');
const G_ADMIN = await groupId('グループユーザー');
const G_INQUIRY = await groupId('円普通照会 書面発行');

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(c: IbClient, proposal: Awaited<ReturnType<IbClient['post']>>, who: { tx: string; mail: string }) {
  const { path, page } = await openConfirmation(c, proposal);
  const done = await c.post(path, { transactionPassword: who.tx, mailToken: lastToken(smtp.mails, who.mail) });
  return { page, done };
}

t.test('ユーザー一覧: the seed columns, the remaining count and the group filter', async (t) => {
  const res = await master.get('/ib/business-id/users');
  const text = visibleText(res.body);
  for (const label of ['ユーザーID', 'ユーザー名', 'メールアドレス', 'グループ名', 'あと97ユーザー登録できます。', '1000000001', '青空', '操作メニュー', 'ユーザー追加', 'ユーザー編集', 'ユーザー削除', 'ログインパスワード再設定（ロック解除）', '取引パスワード再設定（ロック解除）']) {
    t.match(text, label);
  }
  const filtered = visibleText((await master.get(`/ib/business-id/users?group=${G_TRANSFER}`)).body);
  t.match(filtered, '1000000003');
  t.notMatch(filtered, '1000000002');
  t.match(visibleText((await master.get('/ib/business-id/users?group=bogus')).body), '1000000002', 'an unknown group shows everyone');
  const del = await master.get('/ib/business-id/users?mode=delete');
  t.notMatch(del.body, `value="${(await user(MASTER.id)).id}"`, 'the master cannot even be selected for deletion');
});

t.test('ユーザー登録・編集: +1件追加 / +5件追加, several users at once, IDs generated, temporary passwords mailed', async (t) => {
  const form = await master.get('/ib/business-id/users/new');
  t.match(visibleText(form.body), 'ユーザー登録・編集');
  t.equal((form.body.match(/name="name"/g) ?? []).length, 1);
  const plus5 = await master.post('/ib/business-id/users/new', { name: ['山田'], email: ['yamada@example.test'], groupId: [G_TRANSFER], add: '5' });
  t.equal((plus5.body.match(/name="name"/g) ?? []).length, 6);
  t.match(plus5.body, /value="山田"/, 'what was typed is kept');
  const plus1 = await master.post('/ib/business-id/users/new', { name: ['山田', ''], email: ['yamada@example.test', ''], groupId: [G_TRANSFER, ''], add: '1' });
  t.equal((plus1.body.match(/name="name"/g) ?? []).length, 3);

  const bad: [Record<string, string[]>, RegExp][] = [
    [{ name: ['a'], email: ['not-an-address'], groupId: [G_TRANSFER] }, /メールアドレスが正しくありません/],
    [{ name: [''], email: ['x@example.test'], groupId: [G_TRANSFER] }, /ユーザー名は1〜60文字/],
    [{ name: ['a'], email: ['x@example.test'], groupId: [''] }, /所属グループを選択/],
    [{ name: ['a'], email: ['x@example.test'], groupId: ['00000000-0000-4000-8000-000000000000'] }, /グループは存在しません/],
    [{ name: [''], email: [''], groupId: [''] }, /登録するユーザーを入力/],
  ];
  for (const [f, message] of bad) {
    const r = await master.post('/ib/business-id/users/new', { ...f, action: 'confirm' });
    t.equal(r.statusCode, 400, JSON.stringify(f));
    t.match(visibleText(r.body), message);
  }

  const proposal = await master.post('/ib/business-id/users/new', {
    name: ['山田 一郎', '田中 花子', ''], email: ['yamada@example.test', 'tanaka@example.test', ''], groupId: [G_TRANSFER, G_INQUIRY, ''], action: 'confirm',
  });
  const { page, done } = await confirm(master, proposal, MASTER);
  for (const label of ['ユーザー登録・編集 確認', '山田 一郎', 'tanaka@example.test', '円普通照会 書面発行', '変更']) t.match(visibleText(page.body), label);
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), 'ユーザー登録・編集 完了');
  const created = await db.selectFrom('users').select(['login_id', 'status', 'group_id', 'email']).where('email', 'in', ['yamada@example.test', 'tanaka@example.test']).execute();
  t.equal(created.length, 2);
  for (const u of created) {
    t.match(u.login_id, /^[1-9][0-9]{9}$/);
    t.equal(u.status, 'setup_required');
    t.match(visibleText(done.body), u.login_id, 'the new IDs are shown');
    const mail = smtp.mails.find((m) => m.to.includes(u.email) && m.subject.includes('ユーザー登録'))!;
    t.ok(mail, `mail to ${u.email}`);
    t.match(mail.text, `ユーザーID（ログインID）: ${u.login_id}`);
    t.match(mail.text, 'https://bank.example.test/ib/login');
    const temp = /仮ログインパスワード: (\S+)/.exec(mail.text)![1]!;
    const c = new IbClient(app);
    const login = await c.login(u.login_id, temp);
    t.equal(login.headers.location, '/ib/setup', 'the temporary password leads to 初回ログイン時の設定');
  }
  const list = visibleText((await master.get('/ib/business-id/users')).body);
  t.match(list, '山田 一郎');
  t.match(list, 'あと95ユーザー登録できます。');
});

t.test('ユーザー編集: selection, edit form, confirmation; group administrators cannot demote themselves', async (t) => {
  await master.get('/ib/business-id/users?mode=edit');
  const u1 = await user('1000000002');
  const form = await master.post('/ib/business-id/users/edit', { userIds: [u1.id] });
  t.equal(form.statusCode, 200);
  t.match(form.body, /value="佐藤/);
  const proposal = await master.post('/ib/business-id/users/edit/confirm', { userId: [u1.id], version: shownVersions(form.body), name: ['佐藤 美咲（変更）'], email: ['misaki2@example.test'], groupId: [G_TRANSFER] });
  const { done } = await confirm(master, proposal, MASTER);
  t.equal(done.statusCode, 200);
  t.match(await user('1000000002'), { name: '佐藤 美咲（変更）', email: 'misaki2@example.test', group_id: G_TRANSFER });
  t.equal((await master.post('/ib/business-id/users/edit', { userIds: [] })).statusCode, 400);

  const admin = new IbClient(app);
  await admin.login(ADMIN.id, ADMIN.pw);
  await admin.get('/ib/business-id/users?mode=edit');
  const self = await user(ADMIN.id);
  const ownForm = await admin.post('/ib/business-id/users/edit', { userIds: [self.id] });
  t.match(ownForm.body, `value="${G_ADMIN}"`);
  t.notMatch(ownForm.body, `value="${G_TRANSFER}"`, 'seed §4-2: for their own row only groups with グループ・ユーザー権限設定 are offered');
  const demote = await admin.post('/ib/business-id/users/edit/confirm', { userId: [self.id], version: shownVersions(ownForm.body), name: [self.name], email: [self.email], groupId: [G_INQUIRY] });
  t.equal(demote.statusCode, 403);
  t.match(visibleText(demote.body), '「グループ・ユーザー権限設定」が不可のグループへ所属変更することはできません');
  const masterRow = await user(MASTER.id);
  const hijack = await admin.post('/ib/business-id/users/edit/confirm', { userId: [masterRow.id], version: [String(masterRow.version)], name: ['x'], email: ['attacker@example.test'], groupId: [''] });
  t.equal(hijack.statusCode, 403, 'a group administrator cannot change the master (whose mail receives the master\'s tokens)');
  const sideways = await admin.post('/ib/business-id/users/edit/confirm', { userId: [self.id], version: shownVersions(ownForm.body), name: ['高橋（変更）'], email: [self.email], groupId: [G_ADMIN] });
  t.equal(sideways.statusCode, 303, 'editing oneself within an administrator group is fine');
  const masterEdit = await master.post('/ib/business-id/users/edit/confirm', { userId: [masterRow.id], version: [String(masterRow.version)], name: ['青空 太郎'], email: [MASTER.mail], groupId: [G_TRANSFER] });
  t.equal(masterEdit.statusCode, 303, 'the master row ignores a group (it has none)');
});

t.test('ユーザー削除: never oneself, never the master; deletes, revokes grants, keeps the login ID unused', async (t) => {
  const admin = new IbClient(app);
  await admin.login(ADMIN.id, ADMIN.pw);
  await admin.get('/ib/business-id/users?mode=delete');
  const self = await user(ADMIN.id);
  const m = await user(MASTER.id);
  const r1 = await admin.post('/ib/business-id/users/delete', { userIds: [self.id] });
  t.equal(r1.statusCode, 403);
  t.match(visibleText(r1.body), 'ご自身に対するこの操作はできません');
  const r2 = await admin.post('/ib/business-id/users/delete', { userIds: [m.id] });
  t.equal(r2.statusCode, 403);
  t.match(visibleText(r2.body), '取引責任者（マスターユーザー）は変更・削除できません');
  t.equal((await master.post('/ib/business-id/users/delete', { userIds: [m.id] })).statusCode, 403, 'not even by the master');
  t.equal((await admin.post('/ib/business-id/users/delete', { userIds: ['nope'] })).statusCode, 400);

  const target = await user('1000000002');
  const grant = await insertGrant(db, target.id);
  const proposal = await admin.post('/ib/business-id/users/delete', { userIds: [target.id] });
  const { page, done } = await confirm(admin, proposal, ADMIN);
  t.match(visibleText(page.body), 'ビジネスID管理 ユーザー削除 確認');
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), 'ユーザー削除が完了しました');
  t.ok((await user('1000000002')).deleted_at);
  t.ok((await db.selectFrom('grants').select('revoked_at').where('id', '=', grant).executeTakeFirstOrThrow()).revoked_at);
  t.notMatch(visibleText((await admin.get('/ib/business-id/users')).body), '1000000002');
  const ev = await db.selectFrom('audit_events').select(['actor_user_id', 'customer_id']).where('type', '=', 'user.deleted').where('subject_user_id', '=', target.id).executeTakeFirstOrThrow();
  t.same(ev, { actor_user_id: self.id, customer_id: corp.id });
});

t.test('ログインパスワード再設定（ロック解除）: unlocks, expires the password, mails URL + 認証番号, user resets, then setup again', async (t) => {
  const target = await user('1000000003');
  const grant = await insertGrant(db, target.id);
  await db.updateTable('users').set({ status: 'locked', locked_at: new Date(), login_failed_count: 5 }).where('id', '=', target.id).execute();
  await master.get('/ib/business-id/users?mode=login-reset');
  const t0 = smtp.mails.length;
  const proposal = await master.post('/ib/business-id/users/login-reset', { userIds: [target.id] });
  const { page, done } = await confirm(master, proposal, MASTER);
  t.match(visibleText(page.body), 'ログインパスワード再設定（ロック解除） 確認');
  t.match(visibleText(page.body), '30分間のみ有効');
  t.match(visibleText(page.body), '実行');
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), '受付完了');
  t.match(await user('1000000003'), { status: 'reset_pending', locked_at: null, login_failed_count: 0 });
  t.ok((await db.selectFrom('grants').select('revoked_at').where('id', '=', grant).executeTakeFirstOrThrow()).revoked_at, 'grants revoked');
  const mail = smtp.mails.slice(t0).find((m) => m.to.includes(target.email) && m.subject.includes('ログインパスワード再設定'))!;
  t.ok(mail);
  const url = /https:\/\/bank\.example\.test(\/ib\/password-reset\/[A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
  const code = /認証番号: ([0-9]{6})/.exec(mail.text)![1]!;

  const c = new IbClient(app);
  t.equal((await c.login('1000000003', 'User2pass2024')).statusCode, 401, 'the old password no longer works');
  t.match(visibleText(c.lastHtml), '再設定中');
  const screen = await c.get(url);
  t.equal(screen.statusCode, 200);
  for (const label of ['ログインパスワード再設定', '認証番号', '新しいログインパスワード', '新しいログインパスワード（確認用）', '設定', '使用可能な記号']) t.match(visibleText(screen.body), label);
  const wrong = code === '000000' ? '111111' : '000000';
  const r1 = await c.post(url, { code: wrong, newPassword: 'NewPass2024', newPasswordConfirm: 'NewPass2024' });
  t.equal(r1.statusCode, 400);
  t.match(visibleText(r1.body), '認証番号が正しくないか');
  const r2 = await c.post(url, { code, newPassword: 'onlyletters', newPasswordConfirm: 'onlyletters' });
  t.equal(r2.statusCode, 400);
  t.match(visibleText(r2.body), '英字と数字');
  const ok = await c.post(url, { code, newPassword: 'NewPass2024', newPasswordConfirm: 'NewPass2024' });
  t.equal(ok.statusCode, 200);
  t.match(visibleText(ok.body), 'ログインパスワードの再設定が完了しました');
  t.equal((await c.get(url)).statusCode, 410, 'the URL is single use');
  const login = await c.login('1000000003', 'NewPass2024');
  t.equal(login.headers.location, '/ib/setup', 'first-login setup again');
  t.match(await user('1000000003'), { status: 'setup_required', transaction_password_hash: null });
});

t.test('a reset URL expires after 30 minutes and after 5 wrong 認証番号', async (t) => {
  const target = await user('1000000003');
  await db.updateTable('users').set({ status: 'active', transaction_password_hash: 'x' }).where('id', '=', target.id).execute();
  await master.get('/ib/business-id/users?mode=login-reset');
  const t0 = smtp.mails.length;
  await confirm(master, await master.post('/ib/business-id/users/login-reset', { userIds: [target.id] }), MASTER);
  const mail = smtp.mails.slice(t0).find((m) => m.subject.includes('ログインパスワード再設定'))!;
  const url = /(\/ib\/password-reset\/[A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
  const code = /認証番号: ([0-9]{6})/.exec(mail.text)![1]!;
  const c = new IbClient(app);
  await c.get(url);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) await c.post(url, { code: wrong, newPassword: 'NewPass2025', newPasswordConfirm: 'NewPass2025' });
  // Contract (issue 11 point 8): once the tries are used up, the URL is gone and the page says why.
  const locked = await c.post(url, { code, newPassword: 'NewPass2025', newPasswordConfirm: 'NewPass2025' });
  t.equal(locked.statusCode, 410, 'locked after 5 attempts');
  t.match(visibleText(locked.body), '認証番号の入力回数が上限');
  t.equal((await c.get(url)).statusCode, 410);
  await db.updateTable('password_resets').set({ attempts: 0, expires_at: sql<Date>`now() - interval '1 second'` }).where('user_id', '=', target.id).execute();
  t.equal((await c.post(url, { code, newPassword: 'NewPass2025', newPasswordConfirm: 'NewPass2025' })).statusCode, 400, 'expired');
  t.equal((await c.get('/ib/password-reset/short')).statusCode, 410);
});

t.test('取引パスワード再設定（ロック解除）: clears the lock, mails a notice, the user sets a new one at next request', async (t) => {
  const target = await user('1000000004');
  const admin = new IbClient(app);
  await admin.login(ADMIN.id, ADMIN.pw);
  t.equal((await admin.get('/ib/')).statusCode, 200);
  await db.updateTable('users').set({ transaction_password_failed_count: 5, transaction_password_locked_at: new Date() }).where('id', '=', target.id).execute();
  await master.get('/ib/business-id/users?mode=transaction-reset');
  const t0 = smtp.mails.length;
  const { page, done } = await confirm(master, await master.post('/ib/business-id/users/transaction-reset', { userIds: [target.id] }), MASTER);
  t.match(visibleText(page.body), '取引パスワード再設定（ロック解除） 確認');
  t.match(visibleText(done.body), '取引パスワードリセット通知メール');
  t.match(await user(ADMIN.id), { status: 'setup_required', transaction_password_hash: null, transaction_password_locked_at: null, transaction_password_failed_count: 0 });
  t.ok(smtp.mails.slice(t0).some((m) => m.to.includes(target.email) && m.subject.includes('取引パスワードリセット')));
  t.equal((await admin.get('/ib/business-id/users')).headers.location, '/ib/setup', 'a logged-in user is sent to set it at once');
  await admin.get('/ib/setup');
  t.equal((await admin.post('/ib/setup', { transactionPassword: 'User3pass2024', transactionPasswordConfirm: 'User3pass2024' })).statusCode, 400, 'not the login password');
  t.equal((await admin.post('/ib/setup', { transactionPassword: 'NewTx2024', transactionPasswordConfirm: 'NewTx2024' })).statusCode, 200);
  t.equal((await admin.get('/ib/business-id/users')).statusCode, 200);
  t.equal((await master.post('/ib/business-id/users/transaction-reset', { userIds: [(await user(MASTER.id)).id] })).statusCode, 403, 'not oneself / the master');
});

t.test('the 101st user is refused', async (t) => {
  const count = Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('c')).where('customer_id', '=', corp.id).where('role', '=', 'member').where('deleted_at', 'is', null).executeTakeFirstOrThrow()).c);
  const rows = Array.from({ length: MAX_USERS_PER_CUSTOMER - count - 1 }, (_, i) => ({
    customer_id: corp.id, login_id: randomLoginId(), name: `u${i}`, email: `u${i}@example.test`, role: 'member' as const, group_id: G_TRANSFER, login_password_hash: 'x',
  }));
  await db.insertInto('users').values(rows).execute();
  await master.get('/ib/business-id/users/new');
  const two = await master.post('/ib/business-id/users/new', { name: ['a', 'b'], email: ['a@example.test', 'b@example.test'], groupId: [G_TRANSFER, G_TRANSFER], action: 'confirm' });
  t.equal(two.statusCode, 409, 'two more would be 101');
  t.match(visibleText(two.body), 'ユーザーは最大100名まで登録できます。');
  const one = await master.post('/ib/business-id/users/new', { name: ['a'], email: ['a@example.test'], groupId: [G_TRANSFER], action: 'confirm' });
  t.equal(one.statusCode, 303, 'the 100th is fine');
  const { done } = await confirm(master, one, MASTER);
  t.equal(done.statusCode, 200);
  t.match(visibleText((await master.get('/ib/business-id/users')).body), 'あと0ユーザー登録できます。');
  await master.get('/ib/business-id/users/new');
  t.equal((await master.post('/ib/business-id/users/new', { name: ['c'], email: ['c@example.test'], groupId: [G_TRANSFER], action: 'confirm' })).statusCode, 409);
});
