import t, { type Test } from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { accountByNumber, login, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;

const EN = { login: 'API connection (registration)', business: 'API connection (choose services)' };

/** A GET with the driver's cookies but the caller's headers (the driver always sends Accept-Language: ja). */
async function getWith(b: JourneyDriver, path: string, headers: Record<string, string>) {
  const cookie = [...b.jar.entries()].filter(([, c]) => path.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  const res = await server.fetch(new URL(path, server.issuer), { redirect: 'manual', headers: { cookie, accept: 'text/html', ...headers } });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const h1 = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

t.test('ui_locales=en in the authorization request renders the journey in English', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { extra: { ui_locales: 'en' } });
  t.equal(b.title, EN.login);
  t.match(b.html, '<html lang="en">');
  t.match(b.html, 'Login ID');
  t.notMatch(b.html, 'ログインID');
  await login(b, USERS.user1);
  t.equal(b.title, EN.business, 'the next step is English too');
});

t.test('?lang=en switches the language, and the choice sticks for the next steps', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  t.equal(b.title, TITLES.login);
  t.match(b.html, `href="/interaction/${b.uid}?lang=en"`, 'a language switch on the page');
  await b.go('GET', `/interaction/${b.uid}?lang=en`);
  t.equal(b.title, EN.login);
  t.match(b.html, '<html lang="en">');
  await login(b, USERS.user1);
  t.equal(b.title, EN.business);
  await b.go('GET', `/interaction/${b.uid}?lang=ja`);
  t.equal(b.title, TITLES.business, 'and back to Japanese');
});

t.test('a browser preferring English gets English when the client sent no ui_locales', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const page = await getWith(b, `/interaction/${b.uid}`, { 'accept-language': 'en-GB,en;q=0.9,ja;q=0.5' });
  t.equal(page.status, 200);
  t.equal(h1(page.html), EN.login);
  t.match(page.html, '<html lang="en">');
  const ja = await getWith(b, `/interaction/${b.uid}`, { 'accept-language': 'ja,en;q=0.5' });
  t.equal(h1(ja.html), TITLES.login, 'Japanese when preferred');
});

/** The accessibility and hardening rules every journey page follows. */
function checkPage(t: Test, name: string, page: { html: string; headers: Headers }) {
  t.match(page.html, /<html lang="(ja|en)">/, `${name}: <html lang>`);
  const inputs = [...page.html.matchAll(/<input\b[^>]*>/g)].map((m) => m[0]).filter((i) => !/type="(hidden|submit)"/.test(i));
  for (const input of inputs) {
    const id = /\bid="([^"]+)"/.exec(input)?.[1];
    t.ok(id && page.html.includes(`<label for="${id}"`), `${name}: ${input.slice(0, 60)} has a label`);
  }
  const urls = [...page.html.matchAll(/\b(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!);
  const external = urls.filter((u) => /^[a-z]+:|^\/\//i.test(u) && !u.startsWith(server.issuer) && !u.startsWith(server.mtlsUrl));
  t.same(external, [], `${name}: no external URL in src/href/action`);
  const csp = page.headers.get('content-security-policy') ?? '';
  t.match(csp, "default-src 'none'", `${name}: a CSP`);
  t.notMatch(csp, 'unsafe-inline', `${name}: without 'unsafe-inline'`);
  t.notMatch(csp, 'unsafe-eval');
}

t.test('every page of the journey is labelled, self-contained and under a strict CSP', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const current = async (suffix = '') => {
    const r = await b.request('GET', `/interaction/${b.uid}${suffix}`);
    return { html: b.html, headers: r.headers };
  };
  checkPage(t, 'login', await current());
  let r = await b.request('POST', `/interaction/${b.uid}/login`, { _csrf: b.csrf, login_id: '1999999999', password: 'x' });
  checkPage(t, 'login error', { html: b.html, headers: r.headers });
  t.match(b.html, /role="alert"/, 'login error: role="alert"');
  t.match(b.html, /id="login_id"[^>]*aria-invalid="true"/, 'the field is marked invalid');

  await login(b, USERS.user1);
  t.equal(b.title, TITLES.business);
  checkPage(t, 'business', await current());
  r = await b.request('POST', `/interaction/${b.uid}/business`, { _csrf: b.csrf });
  checkPage(t, 'business error', { html: b.html, headers: r.headers });
  t.match(b.html, /role="alert"/);

  await b.post('business', { scope: ['balances'] });
  t.equal(b.title, TITLES.pin);
  checkPage(t, 'pin', await current());
  const account = await accountByNumber(db, '1000088');
  r = await b.request('POST', `/interaction/${b.uid}/pin`, { _csrf: b.csrf, account_id: account.id, pin: '12' });
  checkPage(t, 'pin error', { html: b.html, headers: r.headers });
  t.match(b.html, /role="alert"/);
  await b.post('pin', { account_id: account.id, pin: '7392' });
  t.equal(b.title, TITLES.pinResult);
  checkPage(t, 'pin result', await current('?view=result'));
  await b.post('pin/confirm', {});
  t.equal(b.title, TITLES.consent);
  const consent = await current();
  checkPage(t, 'consent', consent);
  t.match(consent.html, 'https://kantan-kakeibo.example', 'the partner website is shown as text');
  t.notMatch(consent.html, 'href="https://kantan-kakeibo.example', 'but not linked');
  r = await b.request('POST', `/interaction/${b.uid}/consent`, { _csrf: b.csrf, decision: 'allow' });
  checkPage(t, 'consent error', { html: b.html, headers: r.headers });
  t.match(b.html, /role="alert"/);

  // A browser with no journey under way: the expired page (one with a live journey is sent to its current step).
  const stranger = new JourneyDriver(server);
  const expired = await stranger.request('GET', '/interaction/AAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  t.equal(expired.status, 400);
  checkPage(t, 'expired', { html: stranger.html, headers: expired.headers });
  t.match(stranger.html, /role="alert"/);
});
