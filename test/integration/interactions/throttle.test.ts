import t from 'tap';
import { EnvSchema } from '../../../src/config/config.schema.ts';
import { startAuthServer, type AuthServer } from '../../helpers/auth-server.ts';
import { accountByNumber, alertText, login, startJourney, TITLES, unlockPin, USERS, userByLoginId } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(300_000);

const RATE_LIMITED = 'リクエストが多すぎます。しばらくしてから再度お試しください。';
const RATE_LIMITED_EN = 'Too many requests. Please retry later.';
const NO_SUCH_USER = '1999999999';

/** The limits a deployment gets when it configures none (the schema's defaults). */
const DEFAULTS = {
  LOGIN_THROTTLE_PER_ADDRESS: String(EnvSchema.properties.LOGIN_THROTTLE_PER_ADDRESS.default),
  LOGIN_THROTTLE_PER_LOGIN_ID: String(EnvSchema.properties.LOGIN_THROTTLE_PER_LOGIN_ID.default),
  LOGIN_THROTTLE_WINDOW_SECONDS: String(EnvSchema.properties.LOGIN_THROTTLE_WINDOW_SECONDS.default),
};
/**
 * The lowest limit per login ID the configuration accepts, and an address limit two above it, so each
 * limit can be seen on its own: 6 attempts on one login ID pass the address limit but not the ID's.
 */
const LOW = { LOGIN_THROTTLE_PER_ADDRESS: '7', LOGIN_THROTTLE_PER_LOGIN_ID: '5', LOGIN_THROTTLE_WINDOW_SECONDS: '60' };

/** A journey standing on its login page, with the form's token kept (a 429 page has no form to read it from). */
async function atLogin(server: AuthServer) {
  const tc = await insertTestClient(server.database.db);
  const { b } = await startJourney(server, tc, { scope: 'openid offline_access balances' });
  return { b, uid: b.uid, csrf: b.csrf };
}

const attempt = (j: { b: JourneyDriver; uid: string; csrf: string }, path: string, form: Record<string, string>) =>
  j.b.request('POST', `/interaction/${j.uid}/${path}`, { _csrf: j.csrf, ...form });

t.test('at the default limits, a user who made fewer than 5 attempts is never throttled', async (t) => {
  const server = await startAuthServer(t, { env: DEFAULTS });
  const { db } = server.database;
  t.ok(Number(DEFAULTS.LOGIN_THROTTLE_PER_LOGIN_ID) >= 5 && Number(DEFAULTS.LOGIN_THROTTLE_PER_ADDRESS) >= 5, 'the defaults are at least 5');
  t.teardown(() => unlockPin(db, '2000123'));

  const j = await atLogin(server);
  for (let i = 0; i < 4; i++) {
    const r = await attempt(j, 'login', { login_id: USERS.hanako.loginId, password: `Wrong-${i}` });
    t.equal(r.status, 400, `wrong password ${i + 1}: the login page again`);
  }
  await j.b.go('GET', `/interaction/${j.uid}`);
  await login(j.b, USERS.hanako);
  t.equal(j.b.title, TITLES.pin, 'the fifth attempt, right, logs in');

  const account = await accountByNumber(db, '2000123');
  for (const pin of ['0000', '0001']) {
    await j.b.post('pin', { account_id: account.id, pin });
    t.equal(j.b.status, 400, `wrong PIN ${pin}: the PIN page again`);
  }
  await j.b.post('pin', { account_id: account.id, pin: '2580' });
  t.equal(j.b.title, TITLES.pinResult, 'the third PIN, right, registers the account');
});

t.test('beyond the limits the journey answers 429 with Retry-After and a page in Japanese or English', async (t) => {
  const server = await startAuthServer(t, { env: LOW });
  const limit = Number(LOW.LOGIN_THROTTLE_PER_LOGIN_ID);

  await t.test('per login ID', async (t) => {
    const j = await atLogin(server);
    for (let i = 0; i < limit; i++) {
      const r = await attempt(j, 'login', { login_id: NO_SUCH_USER, password: `Wrong-${i}` });
      t.equal(r.status, 400, `attempt ${i + 1} is answered`);
    }
    const r = await attempt(j, 'login', { login_id: ` ${NO_SUCH_USER} `, password: 'Wrong-again' });
    t.equal(r.status, 429, `attempt ${limit + 1} is throttled (the login ID as typed, spaces and all)`);
    t.match(r.headers.get('retry-after'), /^[1-9][0-9]*$/, 'Retry-After in seconds');
    t.ok(Number(r.headers.get('retry-after')) <= Number(LOW.LOGIN_THROTTLE_WINDOW_SECONDS), 'within the window');
    t.match(r.headers.get('content-type'), 'text/html');
    t.equal(j.b.title, TITLES.expired, 'the journey’s own page');
    t.equal(alertText(j.b.html), RATE_LIMITED);
    t.match(j.b.html, `href="/interaction/${j.uid}"`, 'with the way back to the step');
  });

  await t.test('per source address, in English when the browser prefers it', async (t) => {
    const j = await atLogin(server);
    const other = await attempt(j, 'login', { login_id: USERS.user2.loginId, password: 'Wrong-password-1' });
    t.equal(other.status, 400, 'another login ID is still answered (the address’s 7th attempt)');
    const res = await server.fetch(new URL(`/interaction/${j.uid}/login`, server.issuer), {
      method: 'POST', redirect: 'manual',
      body: new URLSearchParams({ _csrf: j.csrf, login_id: USERS.user1.loginId, password: 'Wrong-password-1' }),
      headers: {
        cookie: [...j.b.jar.entries()].map(([n, c]) => `${n}=${c.value}`).join('; '),
        accept: 'text/html', 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded',
      },
    });
    t.equal(res.status, 429, 'the address’s 8th attempt is throttled, whatever the login ID');
    t.match(res.headers.get('retry-after'), /^[1-9][0-9]*$/);
    const html = await res.text();
    t.match(html, '<html lang="en">');
    t.equal(alertText(html), RATE_LIMITED_EN);
    t.equal((await userByLoginId(server.database.db, USERS.user1.loginId)).login_failed_count, 0, 'the throttled attempt never reached the password check');
  });
});

t.test('PIN attempts are throttled per interaction and per address, apart from passwords', async (t) => {
  const server = await startAuthServer(t, { env: LOW });
  const { db } = server.database;
  const limit = Number(LOW.LOGIN_THROTTLE_PER_LOGIN_ID);
  const account = await accountByNumber(db, '2000123');

  const j = await atLogin(server);
  await login(j.b, USERS.hanako);
  t.equal(j.b.title, TITLES.pin);
  // Login ends the login interaction: the PIN step is the next one.
  Object.assign(j, { uid: j.b.uid, csrf: j.b.csrf });
  const pinForm = { account_id: account.id, pin: 'abcd' }; // malformed: never counts towards the PIN lock
  for (let i = 0; i < limit; i++) {
    const r = await attempt(j, 'pin', pinForm);
    t.equal(r.status, 400, `attempt ${i + 1} is answered`);
  }
  const r = await attempt(j, 'pin', pinForm);
  t.equal(r.status, 429, `attempt ${limit + 1} in this interaction is throttled`);
  t.match(r.headers.get('retry-after'), /^[1-9][0-9]*$/);
  t.equal(alertText(j.b.html), RATE_LIMITED);
  t.equal((await accountByNumber(db, '2000123')).pin_failed_count, 0, 'nothing counted against the account');

  // The password limits are counted apart: the same address can still log in.
  const k = await atLogin(server);
  await login(k.b, USERS.hanako);
  t.equal(k.b.title, TITLES.pin, 'logged in again');
  const again = { b: k.b, uid: k.b.uid, csrf: k.b.csrf };
  t.equal((await attempt(again, 'pin', pinForm)).status, 400, 'a new interaction has its own count (the address’s 7th attempt)');
  const next = await attempt(again, 'pin', pinForm);
  t.equal(next.status, 429, 'the address’s 8th PIN attempt is throttled');
});
