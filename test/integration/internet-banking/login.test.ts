import t from 'tap';
import { sql } from 'kysely';
import { createUser } from '../../../src/business-id/users.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { IB_IDLE_TIMEOUT_MS } from '../../../src/auth/ib-sessions.repository.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from './ib-client.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;

t.test('the login screen carries the contract labels and a CSRF token', async (t) => {
  const c = new IbClient(app);
  const res = await c.get('/ib/login');
  t.equal(res.statusCode, 200);
  const text = visibleText(res.body);
  for (const label of ['ログインID', 'ログインパスワード', 'ログイン']) t.match(text, label);
  t.ok(c.csrf(), 'form token');
  const cookie = res.cookies.find((x: { name: string }) => x.name === 'renkei_ib_csrf') as Record<string, unknown>;
  t.match(cookie, { httpOnly: true, secure: true, sameSite: 'Lax' });
  t.equal((await c.get('/ib')).headers.location, '/ib/');
  t.equal((await c.get('/ib/login?lang=en')).statusCode, 200);
  t.match(c.lastHtml, /Internet banking login/);
  t.match((await c.get('/ib/login')).body, /Internet banking login/, 'the language choice sticks (cookie)');
});

t.test('a login form without or with a wrong CSRF token is refused', async (t) => {
  const c = new IbClient(app);
  await c.get('/ib/login');
  t.equal((await c.post('/ib/login', { _csrf: '', loginId: '1000000001', password: 'Aozora2024' })).statusCode, 403);
  t.equal((await c.post('/ib/login', { _csrf: 'x'.repeat(43), loginId: '1000000001', password: 'Aozora2024' })).statusCode, 403);
  const other = new IbClient(app);
  await other.get('/ib/login');
  const res = await c.post('/ib/login', { _csrf: other.csrf(), loginId: '1000000001', password: 'Aozora2024' });
  t.equal(res.statusCode, 403, 'another browser\'s token does not fit this browser\'s cookie');
  t.match(res.body, /csrf_invalid/);
});

t.test('a form token is bound to the session: one from before the login, or from another session, is refused', async (t) => {
  const c = new IbClient(app);
  await c.get('/ib/login');
  const anonymous = c.csrf();
  t.equal((await c.post('/ib/login', { loginId: '2000000001', password: 'Hanako2024' })).statusCode, 303);
  const before = await c.post('/ib/logout', { _csrf: anonymous });
  t.equal(before.statusCode, 403, 'the login page\'s token does not fit the new session');
  t.match(before.body, /csrf_invalid/);
  await c.get('/ib/');
  const mine = c.csrf();
  const other = new IbClient(app);
  await other.login('1000000004', 'User3pass2024');
  other.cookies.set('renkei_ib_csrf', c.cookies.get('renkei_ib_csrf')!);
  const lifted = await other.post('/ib/logout', { _csrf: mine });
  t.equal(lifted.statusCode, 403, 'another session refuses it, even with this browser\'s secret cookie');
  t.match(lifted.body, /csrf_invalid/);
  t.equal((await c.post('/ib/logout', { _csrf: mine })).statusCode, 303, 'in its own session it works');
});

t.test('a login form the schema refuses gets the page again with a message, never JSON or a 500', async (t) => {
  const c = new IbClient(app);
  await c.get('/ib/login');
  const nul = await c.post('/ib/login', { loginId: '1000000001\u0000', password: 'Aozora2024' });
  t.equal(nul.statusCode, 400);
  t.match(nul.headers['content-type'], /text\/html/);
  t.match(visibleText(nul.body), 'ログインIDの入力内容に誤りがあります。');
  const missing = await c.post('/ib/login', { loginId: '1000000001' });
  t.equal(missing.statusCode, 400);
  t.match(visibleText(missing.body), 'ログインパスワードの入力内容に誤りがあります。');
  const twice = await c.post('/ib/login', { loginId: ['1000000001', '1000000002'], password: 'x' });
  t.equal(twice.statusCode, 400);
  t.match(visibleText(twice.body), 'ログインID');
  const en = await c.post('/ib/login?lang=en', { loginId: 'x'.repeat(65), password: 'x' });
  t.equal(en.statusCode, 400);
  t.match(visibleText(en.body), 'Check the field ログインID.');
});

t.test('wrong credentials get one answer, through the shared login service and its audit', async (t) => {
  const c = new IbClient(app);
  for (const [id, pw] of [['1000000002', 'nope'], ['9999999999', 'nope'], ['abc', '']]) {
    const res = await c.login(id!, pw!);
    t.equal(res.statusCode, 401);
    t.match(visibleText(res.body), 'ログインIDまたはログインパスワードが正しくありません。');
  }
  const ev = await db.selectFrom('audit_events').select(['type', 'details']).where('actor_login_id', '=', '1000000002').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(ev, { type: 'login.failure', details: { channel: 'internet_banking' } });
});

t.test('the master logs in, gets a separate signed session cookie and the full menu', async (t) => {
  const c = new IbClient(app);
  const res = await c.login('1000000001', 'Aozora2024');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/ib/');
  const cookie = res.cookies.find((x: { name: string }) => x.name === 'renkei_ib') as Record<string, unknown>;
  t.match(cookie, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
  t.match(String(cookie.value), /\./, 'signed');
  const home = await c.get('/ib/');
  t.equal(home.statusCode, 200);
  const text = visibleText(home.body);
  for (const label of ['ビジネスID管理', 'グループ一覧', 'ユーザー一覧', 'お客さま情報（申込・設定）', 'ログイン・操作履歴', 'ログアウト']) t.match(text, label);
  t.match(text, '1000088');
  t.notMatch(text, '前回ログイン', 'no previous login on the first one');
  await c.login('1000000001', 'Aozora2024');
  t.match(visibleText((await c.get('/ib/')).body), '前回ログイン', 'the login before this one');
  t.equal(home.headers['cache-control'], 'no-store');
  const rows = await db.selectFrom('ib_sessions').select('token_hash').where('user_id', '=', await userId('1000000001')).execute();
  t.equal(rows.length, 1);
  t.notMatch(String(cookie.value), rows[0]!.token_hash, 'only a hash is stored');
});

t.test('a member sees only what their group allows, and the server refuses the rest', async (t) => {
  const c = new IbClient(app);
  await c.login('1000000002', 'User1pass2024');
  const text = visibleText((await c.get('/ib/')).body);
  for (const label of ['グループ一覧', 'ユーザー一覧', 'お客さま情報（申込・設定）', 'ログイン・操作履歴']) t.notMatch(text, label);
  for (const url of ['/ib/business-id/groups', '/ib/business-id/users', '/ib/settings', '/ib/audit', '/ib/business-id/groups/new']) {
    t.equal((await c.get(url)).statusCode, 403, url);
  }
  t.equal((await c.post('/ib/business-id/groups/delete', { groupIds: [] })).statusCode, 403);

  const admin = new IbClient(app);
  await admin.login('1000000004', 'User3pass2024');
  const adminText = visibleText((await admin.get('/ib/')).body);
  t.match(adminText, 'グループ一覧');
  t.notMatch(adminText, 'お客さま情報（申込・設定）', 'グループ・ユーザー権限設定 is not 重要権限');
});

t.test('sessions end after 15 idle minutes, at the absolute limit, at logout and with a forged cookie', async (t) => {
  const c = new IbClient(app);
  await c.login('1000000001', 'Aozora2024');
  const uid = await userId('1000000001');
  await db.updateTable('ib_sessions').set({ last_seen_at: new Date(Date.now() - IB_IDLE_TIMEOUT_MS + 60_000) }).where('user_id', '=', uid).execute();
  t.equal((await c.get('/ib/')).statusCode, 200, '14 idle minutes are fine, and touch the session');
  await db.updateTable('ib_sessions').set({ last_seen_at: new Date(Date.now() - IB_IDLE_TIMEOUT_MS - 1000) }).where('user_id', '=', uid).execute();
  const idle = await c.get('/ib/');
  t.equal(idle.statusCode, 303);
  t.equal(idle.headers.location, '/ib/login?expired=1');
  t.match(visibleText((await c.get('/ib/login?expired=1')).body), 'ログインの有効期限が切れました');
  t.equal((await c.post('/ib/business-id/groups/delete', { groupIds: [] })).statusCode, 401, 'a POST is told the session ended');

  await c.login('1000000001', 'Aozora2024');
  await db.updateTable('ib_sessions').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('user_id', '=', uid).execute();
  t.equal((await c.get('/ib/')).statusCode, 303, 'absolute limit');

  await c.login('1000000001', 'Aozora2024');
  await c.get('/ib/');
  const out = await c.post('/ib/logout', {});
  t.equal(out.statusCode, 303);
  t.equal(out.headers.location, '/ib/login');
  t.equal((await db.selectFrom('ib_sessions').select('id').where('user_id', '=', uid).execute()).length, 0, 'logout deletes the session');
  t.ok(await db.selectFrom('audit_events').select('id').where('type', '=', 'logout').where('actor_user_id', '=', uid).executeTakeFirst(), 'and is audited');

  const forged = new IbClient(app);
  forged.cookies.set('renkei_ib', 'A'.repeat(43));
  t.equal((await forged.get('/ib/')).statusCode, 303);
  forged.cookies.set('renkei_ib', 'garbage.sig');
  t.equal((await forged.get('/ib/')).statusCode, 303);
  t.equal((await forged.post('/ib/logout', { _csrf: 'x' })).statusCode, 403);
});

t.test('a user locked by an administrator loses the session at once', async (t) => {
  const c = new IbClient(app);
  await c.login('1000000003', 'User2pass2024');
  t.equal((await c.get('/ib/')).statusCode, 200);
  await db.updateTable('users').set({ status: 'locked', locked_at: new Date() }).where('login_id', '=', '1000000003').execute();
  t.equal((await c.get('/ib/')).statusCode, 303);
  t.equal((await c.login('1000000003', 'User2pass2024')).statusCode, 401);
  t.match(visibleText(c.lastHtml), 'ロック');
  await db.updateTable('users').set({ status: 'active', locked_at: null }).where('login_id', '=', '1000000003').execute();
});

t.test('初回ログイン時の設定 comes before anything else and enforces the password rules', async (t) => {
  const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
  const group = await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', '振込').executeTakeFirstOrThrow();
  const created = await createUser(db, { customerId: corp.id, groupId: group.id, name: '新人', email: 'new@example.test', initialPassword: 'Temp12345x' });
  const c = new IbClient(app);
  const res = await c.login(created.loginId, 'Temp12345x');
  t.equal(res.headers.location, '/ib/setup');
  t.equal((await c.get('/ib/')).headers.location, '/ib/setup', 'home redirects to setup');
  t.equal((await c.get('/ib/business-id/groups')).headers.location, '/ib/setup');
  const page = await c.get('/ib/setup');
  t.equal(page.statusCode, 200);
  for (const label of ['初回ログイン時の設定', '取引パスワード設定', '必須', 'ログインパスワード変更', '任意', '設定']) t.match(visibleText(page.body), label);

  const tries: [Record<string, string>, RegExp][] = [
    [{ transactionPassword: 'abcdefgh', transactionPasswordConfirm: 'abcdefgh' }, /英字と数字/],
    [{ transactionPassword: '12345678', transactionPasswordConfirm: '12345678' }, /英字と数字/],
    [{ transactionPassword: 'Ab1', transactionPasswordConfirm: 'Ab1' }, /8〜32文字/],
    [{ transactionPassword: 'Abcdefg1&', transactionPasswordConfirm: 'Abcdefg1&' }, /使用できるのは/],
    [{ transactionPassword: 'Abcdefg12', transactionPasswordConfirm: 'Abcdefg13' }, /一致しません/],
    [{ transactionPassword: 'Temp12345x', transactionPasswordConfirm: 'Temp12345x' }, /同一のパスワード/],
    [{ transactionPassword: 'Tx2024abcd', transactionPasswordConfirm: 'Tx2024abcd', newLoginPassword: 'Tx2024abcd', newLoginPasswordConfirm: 'Tx2024abcd' }, /同一のパスワード/],
    [{ transactionPassword: 'Tx2024abcd', transactionPasswordConfirm: 'Tx2024abcd', newLoginPassword: 'short', newLoginPasswordConfirm: 'short' }, /ログインパスワード/],
    [{ transactionPassword: 'Tx2024abcd', transactionPasswordConfirm: 'Tx2024abcd', newLoginPassword: 'Login2024ab', newLoginPasswordConfirm: 'Login2024ac' }, /一致しません/],
  ];
  for (const [form, message] of tries) {
    const r = await c.post('/ib/setup', { newLoginPassword: '', newLoginPasswordConfirm: '', ...form });
    t.equal(r.statusCode, 400, JSON.stringify(form));
    t.match(visibleText(r.body), message);
  }
  const ok = await c.post('/ib/setup', { transactionPassword: 'Tx2024abcd', transactionPasswordConfirm: 'Tx2024abcd', newLoginPassword: 'Login2024ab', newLoginPasswordConfirm: 'Login2024ab' });
  t.equal(ok.statusCode, 200);
  t.match(visibleText(ok.body), '初回ログイン時の設定 完了');
  const u = await db.selectFrom('users').select(['status', 'transaction_password_hash', 'password_changed_at']).where('id', '=', created.id).executeTakeFirstOrThrow();
  t.equal(u.status, 'active');
  t.match(u.transaction_password_hash, /^\$argon2id\$/);
  t.ok(u.password_changed_at);
  t.equal((await c.get('/ib/')).statusCode, 200);
  t.equal((await c.get('/ib/setup')).headers.location, '/ib/', 'setup is closed once done');
  t.equal((await c.login(created.loginId, 'Temp12345x')).statusCode, 401, 'the temporary password is gone');
  t.equal((await c.login(created.loginId, 'Login2024ab')).statusCode, 303);
  const ev = await db.selectFrom('audit_events').select('details').where('type', '=', 'user.setup_completed').where('actor_user_id', '=', created.id).executeTakeFirstOrThrow();
  t.same(ev.details, { loginPasswordChanged: true });
});

t.test('setup without a login password change keeps the login password', async (t) => {
  const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
  const group = await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', '振込').executeTakeFirstOrThrow();
  const created = await createUser(db, { customerId: corp.id, groupId: group.id, name: '二人目', email: 'two@example.test', initialPassword: 'Temp12345y' });
  const c = new IbClient(app);
  await c.login(created.loginId, 'Temp12345y');
  await c.get('/ib/setup');
  const nul = await c.post('/ib/setup', { transactionPassword: 'Tx2024\u0000wxyz', transactionPasswordConfirm: 'Tx2024\u0000wxyz' });
  t.equal(nul.statusCode, 400, 'a NUL never reaches the services');
  t.match(visibleText(nul.body), '取引パスワードの入力内容に誤りがあります。');
  t.equal((await c.post('/ib/setup', { transactionPassword: 'Tx2024wxyz', transactionPasswordConfirm: 'Tx2024wxyz', newLoginPassword: '', newLoginPasswordConfirm: '' })).statusCode, 200);
  t.equal((await c.post('/ib/setup', { transactionPassword: 'Tx2024wxyz', transactionPasswordConfirm: 'Tx2024wxyz' })).headers.location, '/ib/', 'a second setup is not possible');
  t.equal((await c.login(created.loginId, 'Temp12345y')).statusCode, 303);
});
