import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { startAuthServer, type AuthServer } from '../helpers/auth-server.ts';
import { launchBrowser, newContext, screenshotPath } from '../helpers/browser.ts';
import { insertTestClient, oauthClientFor, pushAuthorization, type OAuthClient, type TestClient } from '../helpers/oauth-client.ts';

/**
 * The consent journey (DESIGN §6) end to end: a real OAuth client library (oauth4webapi) doing PAR,
 * private_key_jwt, DPoP and PKCE against the real server's HTTPS listener, and a real browser (Debian's
 * chromium through playwright-core) walking the five screens by their visible Japanese labels. Once for
 * a client the bank registered (the demo partner's), once for one registered through RFC 7591 DCR with
 * INITIAL_ACCESS_TOKEN; then 拒否, the keyboard, a browser without JavaScript, the account choice of step 5,
 * the back and forward buttons, and the way back to the partner from an expired journey.
 *
 * The browser never leaves loopback: the client's redirect URI (https://client.example/cb) is answered
 * by the test, and anything else off loopback is aborted and reported.
 */
t.setTimeout(240_000);

const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url'); // 43 url-safe characters
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN } });
const { db } = server.database;
const browser = await launchBrowser(t);
const REDIRECT_URI = 'https://client.example/cb';
const FULL_SCOPE = 'openid offline_access balances transactions';
/** Client A: the demo partner's client, registered by the bank (the /demo page will drive it). */
const clientA = await insertTestClient(db);
const oauthA = await oauthClientFor(server, clientA);

const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  shots.push(`${name}.png`);
}
t.teardown(() => {
  if (shots.length) console.error(`# screenshots in test-artifacts/screenshots/: ${shots.join(', ')}`);
});

/** Requests the browser tried to send off loopback (other than the client's redirect URI). */
const offNetwork: string[] = [];

/**
 * Keeps a context on loopback: the client's origin is answered here with a tiny page (its callback
 * URL captured), anything else not on loopback is aborted and recorded.
 */
async function guard(context: BrowserContext): Promise<{ callback: () => Promise<URL> }> {
  // Generous on a busy shared machine; the file's own timeout bounds the whole walk.
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  const waiting: ((u: URL) => void)[] = [];
  const seen: URL[] = [];
  await context.route((url) => url.hostname !== 'localhost' && url.hostname !== '127.0.0.1', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== 'https://client.example') {
      offNetwork.push(url.toString());
      return route.abort('blockedbyclient');
    }
    if (url.pathname === '/cb') {
      seen.push(url);
      waiting.splice(0).forEach((w) => w(url));
    }
    return route.fulfill({
      status: 200, contentType: 'text/html; charset=utf-8',
      // The script tells whether the context runs JavaScript (the page's title changes).
      body: '<!doctype html><html lang="en"><title>client callback</title><h1>client callback</h1><script>document.title += " (script ran)"</script></html>',
    });
  });
  return {
    /** The next (or an already seen, not yet taken) callback URL. */
    callback: () => {
      const ready = seen.shift();
      return ready ? Promise.resolve(ready) : new Promise<URL>((resolve) => waiting.push((u) => { seen.shift(); resolve(u); }));
    },
  };
}

async function heading(page: Page, name: string) {
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/** The text of a row of the permission screen's summary table, found by its header (許可対象, 許可期間…). */
const row = (page: Page, header: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: header, exact: true }) }).getByRole('cell');

const JST = /(\d{4})年(\d{2})月(\d{2})日 (\d{2}):(\d{2})/;
function parseJst(text: string): number {
  const m = JST.exec(text);
  if (!m) throw new Error(`no JST date in ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h - 9, mi);
}

/** Registers a client through RFC 7591 with the initial access token, as a partner's software would. */
async function registerThroughDcr(srv: AuthServer): Promise<{ tc: TestClient; registered: oauth.OmitSymbolProperties<oauth.Client> }> {
  const customFetch = { [oauth.customFetch]: srv.fetch as unknown as typeof fetch };
  const issuer = new URL(srv.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, customFetch));
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `dcr-${randomBytes(6).toString('hex')}`;
  const response = await oauth.dynamicClientRegistrationRequest(as, {
    client_name: 'かんたん家計簿 (DCR)',
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    scope: FULL_SCOPE,
    dpop_bound_access_tokens: true,
  }, { initialAccessToken: INITIAL_ACCESS_TOKEN, ...customFetch });
  const registered = await oauth.processDynamicClientRegistrationResponse(response);
  return { tc: { clientId: registered.client_id, redirectUri: REDIRECT_URI, privateKey, kid }, registered };
}

/** Step 5 → the client: what oauth4webapi makes of the code, refresh and revocation. */
async function exchangeRefreshRevoke(
  t: Test, c: OAuthClient, tc: TestClient, callback: URL, codeVerifier: string, expectedScope: string[],
) {
  t.equal(callback.origin + callback.pathname, tc.redirectUri, 'the browser was sent to the registered redirect URI');
  t.equal(callback.searchParams.get('iss'), server.issuer, 'RFC 9207 iss in the authorization response');
  const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);

  const tokenResponse = await oauth.authorizationCodeGrantRequest(
    c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch },
  );
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client, tokenResponse, { requireIdToken: true });
  t.equal(tokens.token_type.toLowerCase(), 'dpop', 'a DPoP-bound access token');
  t.ok(tokens.refresh_token, 'a refresh token for offline_access');
  const idToken = oauth.getValidatedIdTokenClaims(tokens)!;
  t.equal(idToken.iss, server.issuer, 'ID token from the issuer');
  t.equal(idToken.aud, tc.clientId, 'ID token for this client');

  t.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt', 'RFC 9068 JWT access token');
  const at = decodeJwt(tokens.access_token);
  t.equal(at.iss, server.issuer);
  t.equal(at.aud, `${server.issuer}/api/v1`, 'the resource API is the audience');
  t.same(String(at.scope).split(' ').sort(), [...expectedScope].sort(), 'the 利用業務 the holder allowed');
  t.equal(at.client_id, tc.clientId);
  t.equal((at.cnf as { jkt?: string } | undefined)?.jkt, await calculateJwkThumbprint(await exportJWK(c.dpopKeys.publicKey)), 'bound to the client’s DPoP key');
  t.type(at.grant_id, 'string', 'carries the grant id');
  t.equal(Number(at.exp) - Number(at.iat), 600, 'valid 10 minutes');

  const grant = await db.selectFrom('grants').select(['id', 'revoked_at', 'client_id']).where('oidc_grant_id', '=', String(at.grant_id)).executeTakeFirstOrThrow();
  t.equal(grant.client_id, tc.clientId, 'the bank recorded the grant for this client');
  t.equal(grant.revoked_at, null, 'the grant is active');

  const refreshed = await oauth.processRefreshTokenResponse(c.as, c.client,
    await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, { DPoP: c.DPoP, ...c.customFetch }));
  t.not(refreshed.access_token, tokens.access_token, 'refresh with the same DPoP key gives a new access token');
  t.equal(decodeJwt(refreshed.access_token).grant_id, at.grant_id, 'of the same grant');

  await oauth.processRevocationResponse(await oauth.revocationRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, c.customFetch));
  const ended = await db.selectFrom('grants').select(['revoked_at', 'revoked_by']).where('id', '=', grant.id).executeTakeFirstOrThrow();
  t.ok(ended.revoked_at, 'revoking the refresh token (RFC 7009) ends the grant');
  t.equal(ended.revoked_by, 'client');
  await t.rejects(
    oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, { DPoP: c.DPoP, ...c.customFetch })
      .then((r) => oauth.processRefreshTokenResponse(c.as, c.client, r)),
    { name: 'ResponseBodyError', error: 'invalid_grant' },
    'the revoked refresh token no longer works',
  );
}

async function login(page: Page, loginId: string, password: string) {
  await page.getByLabel('ログインID', { exact: true }).fill(loginId);
  await page.getByLabel('ログインパスワード', { exact: true }).fill(password);
  await button(page, 'API連携').click();
}

async function registerPin(page: Page, accountNumber: string, pin: string) {
  await page.getByRole('radio', { name: accountNumber }).check();
  await page.getByLabel('照会用暗証番号', { exact: true }).fill(pin);
  await button(page, '登録').click();
  await heading(page, 'API連携認証（照会用暗証番号登録結果）');
}

/** The account numbers offered under 許可する口座, and whether each is ticked. */
async function offeredAccounts(page: Page): Promise<Record<string, boolean>> {
  const boxes = row(page, '許可する口座').getByRole('checkbox');
  const out: Record<string, boolean> = {};
  for (const box of await boxes.all()) {
    const label = await page.locator(`label[for="${await box.getAttribute('id')}"]`).innerText();
    out[/\d{7}$/.exec(label.trim())?.[0] ?? label] = await box.isChecked();
  }
  return out;
}

/**
 * Step 5: the summary, then 許可 with the checkbox. `untick` accounts are unticked first (after a try
 * with none ticked, which is refused), so the grant covers the others only.
 */
async function checkAndAllow(
  t: Test, page: Page, openedAt: number, shotName: string, businesses: string[], accounts: string[], service: string, untick: string[] = [],
) {
  await heading(page, 'API連携認証（情報アクセス許可）');
  t.equal(await page.title(), 'API連携認証（情報アクセス許可） | renkei');
  const target = await row(page, '許可対象').innerText();
  t.match(target, service, '許可対象 names the client’s own service name');
  t.match(target, '株式会社 入出金情報提供', 'and its partner company');
  const period = await row(page, '許可期間').innerText();
  t.match(period, /許可開始: \d{4}年\d{2}月\d{2}日 \d{2}:\d{2}/, '許可期間 shows the start');
  t.match(period, /許可期限: \d{4}年\d{2}月\d{2}日 \d{2}:\d{2}/, 'and the expiry');
  const [start, end] = period.split('\n').map(parseJst);
  t.equal((end! - start!) / 86_400_000, 90, 'the client’s consent period (90 days)');
  t.ok(start! >= Math.floor(openedAt / 60_000) * 60_000 && start! <= Date.now(), 'starting now (after the journey began)');
  const covered = await row(page, '利用業務').getByRole('listitem').allInnerTexts();
  t.same(covered, businesses, '利用業務 as chosen');
  t.same(await offeredAccounts(page), Object.fromEntries(accounts.map((a) => [a, true])), '許可する口座: the registered accounts, all ticked');
  await shot(page, shotName);
  if (untick.length) {
    // None ticked is refused with a message.
    for (const a of accounts) await row(page, '許可する口座').getByRole('checkbox', { name: a }).uncheck();
    await page.getByLabel('許可手続きを継続する', { exact: true }).check();
    await button(page, '許可').click();
    await heading(page, 'API連携認証（情報アクセス許可）');
    t.equal(await page.getByRole('alert').innerText(), '許可する口座を1つ以上選択してください。', 'none ticked is refused');
    await shot(page, `${shotName}-none-ticked`);
    for (const a of accounts.filter((x) => !untick.includes(x))) await row(page, '許可する口座').getByRole('checkbox', { name: a }).check();
    t.same(await offeredAccounts(page), Object.fromEntries(accounts.map((a) => [a, !untick.includes(a)])), 'only the chosen accounts ticked');
    await shot(page, `${shotName}-chosen`);
  }
  await page.getByLabel('許可手続きを継続する', { exact: true }).check();
  await button(page, '許可').click();
}

t.test('client A (the demo partner’s, registered by the bank): the five screens, tokens, refresh, revocation', async (t) => {
  const [tc, c] = [clientA, oauthA];
  const { url, codeVerifier } = await pushAuthorization(c, tc, FULL_SCOPE);
  const context = await newContext(browser);
  t.teardown(() => context.close());
  const { callback } = await guard(context);
  const page = await context.newPage();
  const openedAt = Date.now();

  // 1-2: API連携認証（利用登録）, by keyboard
  await page.goto(url.toString());
  await heading(page, 'API連携認証（利用登録）');
  t.equal(await page.title(), 'API連携認証（利用登録） | renkei');
  t.ok(await page.getByRole('heading', { name: 'API利用規定' }).isVisible(), 'the API利用規定 is shown');
  t.ok(await page.getByRole('link', { name: '電子証明書ログイン', exact: true }).isVisible(), 'with the certificate path');
  t.match(await page.locator('.requester').innerText(), 'テストクライアント（株式会社 入出金情報提供）', 'who asks: the client’s name and the partner company');
  await shot(page, 'journey-01-login');
  const focused = page.locator(':focus');
  t.equal(await focused.getAttribute('id'), 'login_id', 'ログインID has the focus (autofocus)');
  await page.keyboard.type('1000000002');
  await page.keyboard.press('Tab');
  t.equal(await focused.getAttribute('id'), 'password', 'Tab reaches ログインパスワード');
  await page.keyboard.type('User1pass2024');
  await page.keyboard.press('Tab');
  t.equal(await focused.innerText(), 'API連携', 'then API連携');
  await page.keyboard.press('Enter');

  // 2: 認可業務選択
  await heading(page, 'API連携認証（認可業務選択）');
  t.ok(await page.getByRole('group', { name: '利用業務を選択' }).isVisible(), '利用業務を選択');
  t.ok(await page.getByLabel('残高照会').isChecked(), 'the requested 利用業務 are offered, checked');
  t.ok(await page.getByLabel('入出金明細照会').isChecked());
  await page.getByLabel('入出金明細照会').uncheck();
  await shot(page, 'journey-02-business');
  await button(page, '次へ').click();

  // 3: 照会用暗証番号登録 (both accounts unregistered)
  await heading(page, 'API連携認証（照会用暗証番号登録）');
  t.equal(await page.getByRole('radio').count(), 2, 'the two ordinary accounts user 1 may see');
  t.equal(await page.getByText('未登録', { exact: true }).count(), 2, 'both 未登録');
  await page.getByRole('radio', { name: '1000088' }).check();
  await page.getByLabel('照会用暗証番号', { exact: true }).fill('7392');
  await shot(page, 'journey-03-pin');
  await button(page, '登録').click();

  // 4: 照会用暗証番号登録結果 → 追加登録 → 3 → 4 → 確定
  await heading(page, 'API連携認証（照会用暗証番号登録結果）');
  t.equal(await page.getByText('登録済', { exact: true }).count(), 1, 'one account registered');
  await shot(page, 'journey-04-pin-result');
  await page.getByRole('link', { name: '照会用暗証番号の追加登録', exact: true }).click();
  await heading(page, 'API連携認証（照会用暗証番号登録）');
  t.equal(await page.getByRole('radio').count(), 1, 'only the unregistered account can be chosen');
  t.ok(await button(page, '次へ').isVisible(), '次へ continues without registering more');
  await shot(page, 'journey-03b-pin-second');
  await registerPin(page, '1000658', '5816');
  t.equal(await page.getByText('登録済', { exact: true }).count(), 2, 'both accounts registered');
  t.equal(await page.getByRole('link', { name: '照会用暗証番号の追加登録' }).count(), 0, 'nothing left to add');
  await button(page, '確定').click();

  // 5: 情報アクセス許可 → 許可
  await checkAndAllow(t, page, openedAt, 'journey-05-consent', ['残高照会'], ['1000088', '1000658'], 'テストクライアント', ['1000658']);
  const cb = await callback();
  const covered = await db.selectFrom('grants').innerJoin('grant_accounts', 'grant_accounts.grant_id', 'grants.id').innerJoin('accounts', 'accounts.id', 'grant_accounts.account_id')
    .select('accounts.account_number').where('grants.client_id', '=', tc.clientId).where('grants.revoked_at', 'is', null).execute();
  t.same(covered.map((r) => r.account_number), ['1000088'], 'the grant covers the ticked account only');
  await page.waitForURL('https://client.example/cb?**');
  t.equal(page.url(), cb.toString(), 'the browser landed on the client’s callback');
  t.equal(await page.title(), 'client callback (script ran)', 'in a browser running JavaScript');
  await exchangeRefreshRevoke(t, c, tc, cb, codeVerifier, ['balances']);
});

t.test('client B registered through DCR (RFC 7591) with the initial access token: the same journey', async (t) => {
  const { tc, registered } = await registerThroughDcr(server);
  t.equal(registered.token_endpoint_auth_method, 'private_key_jwt');
  t.equal(registered.dpop_bound_access_tokens, true);
  t.same(registered.redirect_uris, [REDIRECT_URI]);
  t.same(String(registered.scope).split(' ').sort(), FULL_SCOPE.split(' ').sort(), 'the registered scope, as asked');
  const stored = await db.selectFrom('oauth_clients').innerJoin('partners', 'partners.id', 'oauth_clients.partner_id')
    .select(['partners.service_name', 'oauth_clients.allowed_scopes']).where('client_id', '=', tc.clientId).executeTakeFirstOrThrow();
  t.equal(stored.service_name, 'かんたん家計簿', 'registered for the token’s partner');
  t.same([...stored.allowed_scopes].sort(), FULL_SCOPE.split(' ').sort(), 'the bank allows what it asked for');

  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, FULL_SCOPE);
  const context = await newContext(browser);
  t.teardown(() => context.close());
  const { callback } = await guard(context);
  const page = await context.newPage();
  const openedAt = Date.now();

  await page.goto(url.toString());
  await heading(page, 'API連携認証（利用登録）');
  await login(page, '2000000001', 'Hanako2024');
  await heading(page, 'API連携認証（認可業務選択）');
  await shot(page, 'journey-b-02-business');
  await button(page, '次へ').click();
  await heading(page, 'API連携認証（照会用暗証番号登録）');
  t.equal(await page.getByRole('radio').count(), 1, 'the individual holder’s one account');
  await registerPin(page, '2000123', '2580');
  await shot(page, 'journey-b-04-pin-result');
  t.equal(await page.getByRole('link', { name: '照会用暗証番号の追加登録' }).count(), 0, 'nothing left to add');
  await button(page, '確定').click();
  await checkAndAllow(t, page, openedAt, 'journey-b-05-consent', ['残高照会', '入出金明細照会'], ['2000123'], 'かんたん家計簿 (DCR)');
  await exchangeRefreshRevoke(t, c, tc, await callback(), codeVerifier, ['balances', 'transactions']);
});

t.test('拒否 (client A again) in a browser without JavaScript: access_denied with iss', async (t) => {
  const [tc, c] = [clientA, oauthA];
  const grantsBefore = await db.selectFrom('grants').select(['id', 'revoked_at']).where('client_id', '=', tc.clientId).execute();
  const { url } = await pushAuthorization(c, tc, FULL_SCOPE);
  const context = await newBrowserContextWithoutJs(browser);
  t.teardown(() => context.close());
  const { callback } = await guard(context);
  const page = await context.newPage();

  await page.goto(url.toString());
  await heading(page, 'API連携認証（利用登録）');
  await shot(page, 'nojs-01-login');
  await login(page, '1000000002', 'User1pass2024');
  await heading(page, 'API連携認証（認可業務選択）');
  await button(page, '次へ').click();
  // The user registered both accounts’ PINs with client A (PINs are per user): step 3 is skipped.
  await heading(page, 'API連携認証（情報アクセス許可）');
  await shot(page, 'nojs-05-consent');
  await button(page, '拒否').click();
  const cb = await callback();
  t.equal(cb.origin + cb.pathname, tc.redirectUri);
  t.equal(cb.searchParams.get('error'), 'access_denied', '拒否 returns access_denied');
  t.equal(cb.searchParams.get('iss'), server.issuer, 'with iss');
  await page.waitForURL('https://client.example/cb?**');
  t.equal(await page.title(), 'client callback', 'JavaScript was off all along (the callback page’s script did not run)');
  t.throws(() => oauth.validateAuthResponse(c.as, c.client, cb, oauth.expectNoState), { name: 'AuthorizationResponseError', error: 'access_denied' }, 'the client library sees the denial');
  const grantsAfter = await db.selectFrom('grants').select(['id', 'revoked_at']).where('client_id', '=', tc.clientId).execute();
  t.same(grantsAfter, grantsBefore, 'a denial creates no grant (client A keeps only its revoked one)');
});

t.test('back and forward keep working during the journey; an expired journey leads back to the partner', async (t) => {
  const [tc, c] = [clientA, oauthA];
  const { url } = await pushAuthorization(c, tc, FULL_SCOPE, { state: 'e2e-state' });
  const context = await newContext(browser);
  t.teardown(() => context.close());
  const { callback } = await guard(context);
  const page = await context.newPage();

  await page.goto(url.toString());
  await heading(page, 'API連携認証（利用登録）');
  await login(page, '1000000002', 'User1pass2024');
  await heading(page, 'API連携認証（認可業務選択）');
  await button(page, '次へ').click();
  await heading(page, 'API連携認証（情報アクセス許可）');

  // Back to 利用業務, back to the login page, forward again: always the journey's current step.
  await page.goBack();
  await heading(page, 'API連携認証（情報アクセス許可）');
  t.pass('back from step 5 shows step 5 again, not the expired page');
  await shot(page, 'journey-back-1');
  await page.goBack();
  await heading(page, 'API連携認証（情報アクセス許可）');
  t.pass('back again: still step 5');
  await page.goForward();
  await heading(page, 'API連携認証（情報アクセス許可）');
  t.pass('forward: step 5');
  t.equal(await page.getByText('有効期限が切れたか').count(), 0, 'no expired notice on the way');

  // The holder walks away; the journey expires. Coming back, the page offers the way back to the partner.
  const uid = /\/interaction\/([A-Za-z0-9_-]+)/.exec(page.url())![1]!;
  await db.deleteFrom('oidc_payloads').where('model', '=', 'Interaction').where('id', '=', uid).execute();
  await page.reload();
  await heading(page, 'API連携認証');
  t.match(await page.getByRole('alert').innerText(), 'お手続きの有効期限（10分）が切れました。');
  await shot(page, 'journey-expired-way-back');
  await page.getByRole('link', { name: 'テストクライアントに戻る', exact: true }).click();
  const cb = await callback();
  t.equal(cb.origin + cb.pathname, tc.redirectUri, 'back at the client');
  t.equal(cb.searchParams.get('error'), 'access_denied');
  t.equal(cb.searchParams.get('error_description'), 'the journey expired before the account holder finished', 'with what happened');
  t.equal(cb.searchParams.get('state'), 'e2e-state', 'and the client’s state');
  t.throws(() => oauth.validateAuthResponse(c.as, c.client, cb, 'e2e-state'), { name: 'AuthorizationResponseError', error: 'access_denied' }, 'a valid error response for the client library');
});

t.test('the browser stayed on loopback', async (t) => {
  t.same(offNetwork, [], 'no request left loopback except the answered redirect URI');
});

async function newBrowserContextWithoutJs(b: Browser): Promise<BrowserContext> {
  return b.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP', javaScriptEnabled: false });
}
