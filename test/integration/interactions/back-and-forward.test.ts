import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { advanceToConsent, alertText, FULL_SCOPE, login, preRegisterPins, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);

t.test('the back button on a live journey lands on its current step, never on the expired page', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const loginUid = b.uid;
  const loginCsrf = b.csrf;
  await login(b, USERS.user1);
  t.equal(b.title, TITLES.business);
  const businessUid = b.uid;
  t.not(businessUid, loginUid, 'login ended its interaction');

  // Back to the login page: sent to 利用業務.
  const back = await b.request('GET', `/interaction/${loginUid}`);
  t.equal(back.status, 303);
  t.equal(back.location, `/interaction/${businessUid}`);
  await b.go('GET', `/interaction/${loginUid}`);
  t.equal(b.status, 200);
  t.equal(b.title, TITLES.business, 'the current step');

  // Re-sending the login form from the old page does not log in again; it shows the current step.
  await b.go('POST', `/interaction/${loginUid}/login`, { _csrf: loginCsrf, login_id: USERS.user1.loginId, password: USERS.user1.password });
  t.equal(b.status, 200);
  t.equal(b.title, TITLES.business);

  await advanceToConsent(b);
  const consentUid = b.uid;
  // Back twice, then forward: each lands on the permission screen.
  for (const uid of [businessUid, loginUid, consentUid]) {
    await b.go('GET', `/interaction/${uid}`);
    t.equal(b.title, TITLES.consent, `/interaction/${uid.slice(0, 6)}… shows the current step`);
  }
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.ok(callback?.searchParams.get('code'), 'and the journey still completes');

  // After the end, back shows that the journey is finished.
  await b.go('GET', `/interaction/${consentUid}`);
  t.equal(b.status, 400);
  t.equal(alertText(b.html), 'このお手続きはすでに完了しています。');
});

t.test('an abandoned journey found again later offers the way back, with the partner’s state', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { extra: { state: 'partner-state-42' } });
  await login(b, USERS.user1);
  const uid = b.uid;
  // The holder walks away; the interaction expires.
  await db.deleteFrom('oidc_payloads').where('model', '=', 'Interaction').where('id', '=', uid).execute();
  await b.go('GET', `/interaction/${uid}`);
  t.equal(b.status, 400);
  t.equal(alertText(b.html), 'お手続きの有効期限（10分）が切れました。お手数ですが、連携先のサービスからもう一度お手続きください。');
  const href = /<a class="button" href="([^"]+)"[^>]*>テストクライアントに戻る<\/a>/.exec(b.html)?.[1]?.replaceAll('&amp;', '&');
  t.ok(href, 'a way back to the partner');
  const u = new URL(href!);
  t.equal(u.searchParams.get('state'), 'partner-state-42');
  t.equal(u.searchParams.get('error'), 'access_denied');
  t.equal(u.searchParams.get('error_description'), 'the journey expired before the account holder finished');
  t.match(b.html, '連携先のサービスには、お手続きが完了しなかったことが伝わります。');
});

t.test('a browser with no journey gets the plain expired page', async (t) => {
  const b = new JourneyDriver(server);
  await b.go('GET', '/interaction/AAAAAAAAAAAAAAAAAAAA');
  t.equal(b.status, 400);
  t.notMatch(b.html, 'error_description');
});

t.test('two journeys in two tabs of one browser: back in each lands on its own current step', async (t) => {
  const [tcA, tcB] = [await insertTestClient(db), await insertTestClient(db)];
  const b = new JourneyDriver(server); // one browser: one cookie jar
  const open = async (tc: typeof tcA) => {
    const { url } = await pushAuthorization(await oauthClientFor(server, tc), tc, FULL_SCOPE);
    await b.go('GET', url.toString());
    const loginUid = b.uid;
    await login(b, USERS.user1);
    t.equal(b.title, TITLES.business);
    return { loginUid, current: b.uid };
  };
  const a = await open(tcA);
  const other = await open(tcB);
  await b.go('GET', `/interaction/${a.loginUid}`);
  t.equal(new URL(b.url).pathname, `/interaction/${a.current}`, 'tab A’s back button: tab A’s step');
  await b.go('GET', `/interaction/${other.loginUid}`);
  t.equal(new URL(b.url).pathname, `/interaction/${other.current}`, 'tab B’s back button: tab B’s step');
});

t.test('many journeys with long states keep the journey cookie within what a browser stores', async (t) => {
  const tc = await insertTestClient(db);
  const b = new JourneyDriver(server);
  const c = await oauthClientFor(server, tc);
  let last = { loginUid: '', current: '' };
  for (let i = 0; i < 6; i++) {
    const { url } = await pushAuthorization(c, tc, FULL_SCOPE, { state: `${i}`.repeat(500) });
    await b.go('GET', url.toString());
    const loginUid = b.uid;
    await login(b, USERS.user1);
    last = { loginUid, current: b.uid };
  }
  const cookie = b.jar.get('renkei_journey')?.value ?? '';
  t.ok(cookie.length > 0 && cookie.length < 4000, `the cookie has ${cookie.length} characters`);
  await b.go('GET', `/interaction/${last.loginUid}`);
  t.equal(new URL(b.url).pathname, `/interaction/${last.current}`, 'the latest journey is kept');
});
