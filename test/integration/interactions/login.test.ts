import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { alertText, auditRows, login, preRegisterPins, startJourney, TITLES, USERS, userByLoginId } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;

const MSG = {
  invalid: 'ログインIDまたはログインパスワードが正しくありません。',
  locked: 'ログインパスワードを所定の回数誤ったため、ご利用を停止しています。',
  certificate: 'お客さまは電子証明書方式のため、ログインIDとパスワードではログインできません。「電子証明書ログイン」ボタンからログインしてください。',
  setup: 'インターネットバンキングで初回ログイン時の設定を完了してから、もう一度お手続きください。',
};

/** The page apart from what legitimately differs between two answers: the CSRF token and the echoed login ID. */
const normalise = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/(id="login_id"[^>]*?)value="[^"]*"/s, '$1value=""');

t.test('a wrong password, an unknown login ID and a malformed one get the same answer', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const answers: { status: number; html: string }[] = [];
  for (const loginId of [USERS.master.loginId, '1999999999', 'abc']) {
    await b.post('login', { login_id: loginId, password: 'Wrong-password-1' });
    answers.push({ status: b.status, html: b.html });
    t.equal(b.title, TITLES.login, `${loginId}: the login page again`);
    t.equal(alertText(b.html), MSG.invalid, `${loginId}: the uniform message`);
  }
  t.same(answers.map((a) => a.status), [400, 400, 400]);
  t.equal(normalise(answers[1]!.html), normalise(answers[0]!.html), 'unknown ID: same page as a wrong password');
  t.equal(normalise(answers[2]!.html), normalise(answers[0]!.html), 'malformed ID: same page as a wrong password');
  await db.updateTable('users').set({ login_failed_count: 0 }).where('login_id', '=', USERS.master.loginId).execute();
});

t.test('five consecutive wrong passwords lock the user; the right password then shows the locked message', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  for (let i = 1; i <= 5; i++) {
    await b.post('login', { login_id: USERS.hanako.loginId, password: `wrong-${i}` });
    t.equal(alertText(b.html), MSG.invalid, `failure ${i}: still the uniform message`);
  }
  const user = await userByLoginId(db, USERS.hanako.loginId);
  t.equal(user.status, 'locked');
  t.equal(user.login_failed_count, 5);
  t.ok(user.locked_at);
  t.equal((await auditRows(db, 'login.locked', { loginId: USERS.hanako.loginId })).length, 1, 'one lock event');

  await b.post('login', { login_id: USERS.hanako.loginId, password: USERS.hanako.password });
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.login);
  t.match(alertText(b.html), MSG.locked, 'the right password reveals the lock');
});

t.test('a customer whose login method is certificate is refused with a pointer to 電子証明書ログイン', async (t) => {
  const fresh = await startAuthServer(t);
  await fresh.database.db.updateTable('customers').set({ certificate_service_status: 'active', login_method: 'certificate' })
    .where('name', '=', '青空商事株式会社').execute();
  const tc = await insertTestClient(fresh.database.db);
  const { b } = await startJourney(fresh, tc);
  await b.post('login', { login_id: USERS.user1.loginId, password: USERS.user1.password });
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.login, 'not logged in');
  t.equal(alertText(b.html), MSG.certificate);
  const refused = await auditRows(fresh.database.db, 'login.failure', { loginId: USERS.user1.loginId });
  t.equal((refused[0]!.details as { reason?: string }).reason, 'certificate_required');
  t.equal((await auditRows(fresh.database.db, 'login.success')).length, 0);
});

t.test('the 電子証明書ログイン button continues on the mutual-TLS origin, which says when no certificate was presented', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const uid = b.uid;
  const href = /href="([^"]*\/certificate)"/.exec(b.html)?.[1];
  t.equal(href, `/interaction/${uid}/certificate`);
  const r = await b.request('GET', href!);
  t.equal(r.status, 303);
  t.equal(r.location, `${server.mtlsUrl}/interaction/${uid}/certificate`);
  const page = await server.fetch(r.location!, { headers: { accept: 'text/html', 'accept-language': 'ja' } });
  t.equal(page.status, 403);
  const html = await page.text();
  t.match(html, '電子証明書が提示されませんでした。');
  t.match(html, '<html lang="ja">');
  t.notMatch(page.headers.get('content-security-policy') ?? 'missing', /unsafe-inline|missing/, 'a strict CSP there too');
  t.match(html, `href="${server.issuer}/interaction/${uid}"`, 'a way back to the journey');
});

t.test('a user who has not finished the first-login setup is refused', async (t) => {
  await db.updateTable('users').set({ status: 'setup_required' }).where('login_id', '=', USERS.user3.loginId).execute();
  t.teardown(() => db.updateTable('users').set({ status: 'active' }).where('login_id', '=', USERS.user3.loginId).execute());
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await b.post('login', { login_id: USERS.user3.loginId, password: USERS.user3.password });
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.login, 'still on the login page');
  t.equal(alertText(b.html), MSG.setup);
  const last = await db.selectFrom('audit_events').select(['type', 'details']).where('actor_login_id', '=', USERS.user3.loginId).orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.match(last, { type: 'login.failure', details: { reason: 'setup_required' } }, 'audited as a refused login, not a success');
  // The interaction did not move on: a new login page, no step 2.
  await b.go('GET', `/interaction/${b.uid}`);
  t.equal(b.title, TITLES.login);
});

t.test('a fresh browser without the interaction cookie cannot post a login', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const stranger = new JourneyDriver(server);
  const before = (await auditRows(db, 'login.success')).length;
  await stranger.request('POST', `/interaction/${b.uid}/login`, { _csrf: b.csrf, login_id: USERS.user1.loginId, password: USERS.user1.password });
  t.equal(stranger.status, 403, 'refused (no CSRF secret cookie)');
  t.equal((await auditRows(db, 'login.success')).length, before, 'no login happened');
});

t.test('every authorization starts with a login, even with a live session in the browser', async (t) => {
  await preRegisterPins(db, USERS.user2.loginId, ['1000088']);
  const tc = await insertTestClient(db);
  const first = await startJourney(server, tc, { scope: 'openid balances' });
  await login(first.b, USERS.user2);
  t.equal(first.b.title, TITLES.consent);
  t.ok(await first.b.post('consent', { decision: 'allow', continue: 'on' }), 'first authorization done');
  // The same browser (cookie jar with the provider's session) starts a second authorization.
  const c = await oauthClientFor(server, tc);
  const { url } = await pushAuthorization(c, tc, 'openid balances');
  await first.b.go('GET', url.toString());
  t.equal(first.b.title, TITLES.login, 'the login page again');
});

t.test('prompt=none cannot skip the journey: the client receives login_required', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  const { url } = await pushAuthorization(c, tc, 'openid balances', { prompt: 'none' });
  const b = new JourneyDriver(server);
  const callback = await b.go('GET', url.toString());
  t.ok(callback, 'sent back to the client');
  t.equal(callback!.searchParams.get('error'), 'login_required');
  t.equal(callback!.searchParams.get('iss'), server.issuer);
  t.notOk(callback!.searchParams.get('code'));
});

t.test('a malformed form (a NUL, an over-long login ID, a missing field) gets the login page again, never an error', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const forms: Record<string, string>[] = [
    { login_id: '1000000001\u0000', password: 'Wrong-password-1' },
    { login_id: '1'.repeat(65), password: 'Wrong-password-1' },
    { login_id: USERS.master.loginId, password: 'x\u0000' },
    { login_id: USERS.master.loginId },
    { password: 'Wrong-password-1' },
  ];
  for (const form of forms) {
    await b.post('login', form);
    t.equal(b.status, 400, JSON.stringify(form));
    t.equal(b.title, TITLES.login, 'the login page again');
    t.equal(alertText(b.html), MSG.invalid, 'with the uniform message');
  }
  t.equal((await userByLoginId(db, USERS.master.loginId)).login_failed_count, 0, 'no attempt reached the password check');
});

t.test('the echoed login ID is escaped', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await b.post('login', { login_id: '"><script>alert(1)</script>', password: 'x' });
  t.equal(b.status, 400);
  t.notMatch(b.html, '<script>alert(1)</script>');
  t.match(b.html, '&quot;&gt;&lt;script&gt;');
});

t.test('only consecutive failures count: a successful login resets the counter', async (t) => {
  const tc = await insertTestClient(db);
  const wrongFourTimes = async () => {
    const { b } = await startJourney(server, tc);
    for (let i = 0; i < 4; i++) await b.post('login', { login_id: USERS.master.loginId, password: `wrong-${i}` });
    return b;
  };
  const b = await wrongFourTimes();
  t.equal((await userByLoginId(db, USERS.master.loginId)).login_failed_count, 4);
  await login(b, USERS.master);
  t.not(b.title, TITLES.login, 'the fifth attempt, right, logs in');
  t.equal((await userByLoginId(db, USERS.master.loginId)).login_failed_count, 0, 'counter reset');
  await wrongFourTimes();
  const user = await userByLoginId(db, USERS.master.loginId);
  t.equal(user.status, 'active', 'eight failures in all, never five in a row: not locked');
  await db.updateTable('users').set({ login_failed_count: 0 }).where('id', '=', user.id).execute();
});
