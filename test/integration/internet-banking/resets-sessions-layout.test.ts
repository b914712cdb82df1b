import t from 'tap';
import { issueLoginReset, MAX_RESET_CODE_ATTEMPTS } from '../../../src/auth/passwords.service.ts';
import { recordAudit } from '../../../src/audit/audit.repository.ts';
import { deriveCodeKey } from '../../../src/business-id/confirmations.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from './ib-client.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const userOf = (loginId: string) => db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', loginId).executeTakeFirstOrThrow();

t.test('after an administrator reset only the 取引パスワード, the user gets 取引パスワードの再設定, not 初回ログイン時の設定', async (t) => {
  const u = await userOf('1000000003');
  const master = await userOf('1000000001');
  // What the confirmed password.transaction_reset change does (src/business-id/changes.ts).
  await db.updateTable('users').set({ transaction_password_hash: null, status: 'setup_required' }).where('id', '=', u.id).execute();
  await recordAudit(db, { type: 'password.transaction_reset', customerId: u.customer_id, actorUserId: master.id, subjectUserId: u.id });
  const c = new IbClient(app);
  const login = await c.login('1000000003', 'User2pass2024');
  t.equal(login.headers.location, '/ib/setup');
  const page = visibleText((await c.get('/ib/setup')).body);
  t.match(page, '取引パスワードの再設定');
  t.match(page, '新しく任意の取引パスワードを設定してください。');
  t.notMatch(page, '初回ログイン時の設定');
  t.notMatch(c.lastHtml, 'newLoginPassword', 'no login-password change offered');
  t.equal((await c.get('/ib/')).headers.location, '/ib/setup', 'nothing else until it is done');
  const same = await c.post('/ib/setup', { transactionPassword: 'User2pass2024', transactionPasswordConfirm: 'User2pass2024' });
  t.equal(same.statusCode, 400);
  t.match(visibleText(same.body), '同一のパスワードを設定することはできません', 'the message on the same screen');
  t.match(visibleText(same.body), '取引パスワードの再設定');
  const done = await c.post('/ib/setup', { transactionPassword: 'NewTx2026a', transactionPasswordConfirm: 'NewTx2026a', newLoginPassword: 'Ignored2026', newLoginPasswordConfirm: 'Ignored2026' });
  t.equal(done.statusCode, 200);
  t.match(visibleText(done.body), '取引パスワードの設定が完了しました。');
  t.match(visibleText(done.body), '閉じる');
  t.equal((await c.get('/ib/')).statusCode, 200);
  const again = new IbClient(app);
  t.equal((await again.login('1000000003', 'User2pass2024')).headers.location, '/ib/', 'the login password is unchanged');
});

t.test(`the reset screen says the ${MAX_RESET_CODE_ATTEMPTS} tries are used up, on the last try and afterwards`, async (t) => {
  const u = await userOf('1000000004');
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', u.id).execute();
  const { token, code } = await issueLoginReset(db, { userId: u.id, codeKey: deriveCodeKey(TEST_SECRETS.keyEncryptionKey) });
  const c = new IbClient(app);
  await c.get(`/ib/password-reset/${token}`);
  const wrong = { code: code === '000000' ? '111111' : '000000', newPassword: 'Reset2026zz', newPasswordConfirm: 'Reset2026zz' };
  for (let i = 1; i < MAX_RESET_CODE_ATTEMPTS; i++) {
    t.match(visibleText((await c.post(`/ib/password-reset/${token}`, wrong)).body), '認証番号が正しくないか', `try ${i}`);
  }
  const last = await c.post(`/ib/password-reset/${token}`, wrong);
  t.equal(last.statusCode, 410);
  t.match(visibleText(last.body), `認証番号の入力回数が上限（${MAX_RESET_CODE_ATTEMPTS}回）に達したため`);
  t.notMatch(visibleText(last.body), '正しくないか');
  t.notMatch(last.body, 'name="code"', 'no form to try again');
  const later = await c.get(`/ib/password-reset/${token}`);
  t.equal(later.statusCode, 410);
  t.match(visibleText(later.body), '入力回数が上限');
  t.match(visibleText((await c.get('/ib/password-reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).body), '無効か、有効期限', 'an unknown URL still says invalid or expired');
});

t.test('a second login elsewhere ends the first session, which then says so', async (t) => {
  const first = new IbClient(app);
  await first.login('1000000002', 'User1pass2024');
  t.equal((await first.get('/ib/')).statusCode, 200);
  const second = new IbClient(app);
  await second.login('1000000002', 'User1pass2024');
  const ended = await first.get('/ib/');
  t.equal(ended.headers.location, '/ib/login?expired=replaced');
  const page = visibleText((await first.get('/ib/login?expired=replaced')).body);
  t.match(page, '別の場所でログインされたため、ログアウトしました。');
  t.notMatch(page, 'ログインの有効期限が切れました');
  t.match(visibleText((await first.get('/ib/login?expired=1')).body), 'ログインの有効期限が切れました', 'a plain expiry keeps its message');
  t.equal((await second.get('/ib/')).statusCode, 200, 'the new session lives');
  const logs = visibleText((await (async () => { const m = new IbClient(app); await m.login('1000000001', 'Aozora2024'); return m.get('/ib/audit'); })()).body);
  t.match(logs, '別の場所でのログインによるログアウト', 'recorded in ログイン・操作履歴');
});

t.test('the header names an individual once, a corporate user with the company; the icon is served', async (t) => {
  const hanako = new IbClient(app);
  await hanako.login('2000000001', 'Hanako2024');
  const home = (await hanako.get('/ib/')).body;
  t.match(home, /<span class="ib-who">青空 花子さま<\/span>/);
  t.notMatch(visibleText(home), '青空 花子 青空 花子');
  const taro = new IbClient(app);
  await taro.login('1000000001', 'Aozora2024');
  t.match((await taro.get('/ib/')).body, /<span class="ib-who">青空商事株式会社 青空 太郎さま<\/span>/);
  const icon = await app.inject({ method: 'GET', url: '/assets/favicon.svg' });
  t.equal(icon.statusCode, 200);
  t.match(icon.headers['content-type'], /image\/svg\+xml/);
});

t.test('English mode: my screens carry no Japanese fragments inside English sentences', async (t) => {
  const c = new IbClient(app);
  await c.login('1000000001', 'Aozora2024');
  const home = visibleText((await c.get('/ib/?lang=en')).body);
  t.match(home, /Yen time deposit 1000771/);
  t.match(home, /Foreign currency ordinary 1000995 [0-9,]+\.[0-9]{2} USD/);
  t.match(home, /¥[0-9,]+/, 'yen as ¥ in English');
  t.notMatch(home, /[0-9]円/);
  const audit = visibleText((await c.get('/ib/audit?lang=en')).body);
  t.match(audit, 'Logged in');
  t.notMatch(audit, /(?:[a-z]|Wrong) (?:認証番号|ビジネスID管理|照会)|(?:認証番号|ビジネスID管理|照会) [a-z]/, 'no Japanese word inside an English phrase (seed names in the menu stay as they are)');
  await c.get('/ib/?lang=ja');
});
