import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as oauth from 'oauth4webapi';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { ensureDemoCertificate } from '../../../src/certificates/demo-certificate.ts';
import { DEMO_CERTIFICATE } from '../../../src/db/seed/demo-data.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { launchBrowser, screenshotPath } from '../../helpers/browser.ts';
import { TEST_SECRETS } from '../../helpers/build-app.ts';
import { FULL_SCOPE } from '../../helpers/fapi.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../helpers/oauth-client.ts';

/**
 * Certificate login in a real browser (DESIGN §14, seed 000 手順1-1), with the demo certificate customer
 * of DESIGN §9 and the .pfx written for it: Playwright's `clientCertificates` through internet banking's
 * 電子証明書ログイン and through the consent journey to the partner's callback; then Debian's Chromium
 * presenting the certificate natively from its NSS store, imported with pk12util (reference
 * certificates-and-jobs.md §6.2), with the certificate auto-selected for the mutual-TLS origin.
 */
t.setTimeout(300_000);

const run = promisify(execFile);
const server = await startAuthServer(t);
const { db } = server.database;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const work = await mkdtemp(path.join(os.tmpdir(), 'renkei-cert-walk-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const pfxPath = (await ensureDemoCertificate(db, ca, { ...DEMO_CERTIFICATE, dataDir: work, crlUrl: `${server.issuer}/pki/crl`, validityDays: 365 }))!;
const pfx = await readFile(pfxPath);
const browser = await launchBrowser(t);
const MIDORI = { loginId: '3000000001', password: 'Midori2024', name: '緑川 誠' };

const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(`certificates-login-${name}`), fullPage: true });
  shots.push(`certificates-login-${name}.png`);
}
t.teardown(() => {
  if (shots.length) console.error(`# screenshots in test-artifacts/screenshots/: ${shots.join(', ')}`);
});

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/** Keeps the context on loopback; the client's callback is answered here and handed to the test. */
async function guard(context: BrowserContext): Promise<{ callback: () => Promise<URL> }> {
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  let resolveCallback: (u: URL) => void = () => {};
  const callback = new Promise<URL>((r) => { resolveCallback = r; });
  await context.route((url) => url.hostname !== 'localhost' && url.hostname !== '127.0.0.1', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== 'https://client.example') return route.abort('blockedbyclient');
    resolveCallback(url);
    return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>client callback</title><h1>client callback</h1>' });
  });
  return { callback: () => callback };
}

async function withCertificate(): Promise<BrowserContext> {
  return browser.newContext({
    ignoreHTTPSErrors: true, locale: 'ja-JP',
    clientCertificates: [{ origin: server.mtlsUrl, pfx, passphrase: DEMO_CERTIFICATE.keyProtectionPassword }],
  });
}

/** From /ib/login to the internet-banking home with the certificate the browser presents. */
async function internetBankingLogin(t: Test, page: Page, prefix: string) {
  await page.goto(`${server.issuer}/ib/login`);
  await heading(page, 'インターネットバンキング ログイン');
  if (prefix === 'ib') await shot(page, 'ib-01-login');
  await page.getByRole('link', { name: '電子証明書ログイン', exact: true }).click();
  await heading(page, '電子証明書ログイン');
  t.equal(new URL(page.url()).origin, server.mtlsUrl, 'on the mutual-TLS origin');
  t.ok(await page.getByRole('cell', { name: MIDORI.name, exact: true }).isVisible(), 'the holder is named');
  t.ok(await page.getByRole('cell', { name: MIDORI.loginId, exact: true }).isVisible(), 'with the login ID');
  t.equal(await page.getByLabel('ログインID', { exact: true }).count(), 0, 'no login ID is asked');
  await shot(page, `${prefix}-02-certificate`);
  if (prefix === 'ib') {
    await page.getByLabel('ログインパスワード', { exact: true }).fill('Wrong-pass-1');
    await button(page, 'ログイン').click();
    await page.getByRole('alert').waitFor();
    t.match(await page.getByRole('alert').innerText(), 'ログインパスワードが正しくありません。');
    await shot(page, 'ib-03-wrong-password');
  }
  await page.getByLabel('ログインパスワード', { exact: true }).fill(MIDORI.password);
  await button(page, 'ログイン').click();
  await page.waitForURL(`${server.issuer}/ib/`);
  t.match(await page.locator('.ib-who').innerText(), MIDORI.name, 'logged in on the main origin');
  await shot(page, `${prefix}-04-home`);
}

t.test('internet banking: 電子証明書ログイン with the demo .pfx (Playwright clientCertificates)', async (t) => {
  const context = await withCertificate();
  t.teardown(() => context.close());
  await guard(context);
  const page = await context.newPage();
  await internetBankingLogin(t, page, 'ib');
  const cookies = await context.cookies(server.mtlsUrl);
  t.notOk(cookies.some((c) => c.name === 'renkei_ib' && c.path !== '/'), 'no session cookie of the mutual-TLS origin');
});

t.test('a browser without a certificate gets the clear refusal', async (t) => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP' });
  t.teardown(() => context.close());
  await guard(context);
  const page = await context.newPage();
  await page.goto(`${server.issuer}/ib/login`);
  await page.getByRole('link', { name: '電子証明書ログイン', exact: true }).click();
  await heading(page, '電子証明書ログイン');
  t.match(await page.getByRole('alert').innerText(), '電子証明書が提示されませんでした。');
  t.equal(await page.getByLabel('ログインパスワード', { exact: true }).count(), 0, 'no password is asked');
  await shot(page, 'ib-05-no-certificate');
});

t.test('the consent journey, 手順1-1: API利用規定, the holder, ログインパスワード, API連携, through to the partner', async (t) => {
  const tc = await insertTestClient(db, { showBusinessSelection: false });
  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, FULL_SCOPE);
  const context = await withCertificate();
  t.teardown(() => context.close());
  const { callback } = await guard(context);
  const page = await context.newPage();

  await page.goto(url.toString());
  await heading(page, 'API連携認証（利用登録）');
  await shot(page, 'journey-01-login');
  await page.getByRole('link', { name: '電子証明書ログイン', exact: true }).click();
  await heading(page, 'API連携認証（利用登録）');
  t.equal(new URL(page.url()).origin, server.mtlsUrl, '1-1 continues on the mutual-TLS origin');
  t.ok(await page.getByRole('heading', { name: 'API利用規定', exact: true }).isVisible(), 'API利用規定');
  t.ok(await page.getByRole('cell', { name: MIDORI.name, exact: true }).isVisible(), 'the holder');
  await page.getByLabel('ログインパスワード', { exact: true }).fill(MIDORI.password);
  await shot(page, 'journey-02-certificate');
  await button(page, 'API連携').click();

  // Back on the main origin, logged in: 照会用暗証番号登録 of the customer's account.
  await heading(page, 'API連携認証（照会用暗証番号登録）');
  t.equal(new URL(page.url()).origin, server.issuer);
  await page.getByRole('radio', { name: '3000111' }).check();
  await page.getByLabel('照会用暗証番号', { exact: true }).fill('4417');
  await button(page, '登録').click();
  await heading(page, 'API連携認証（照会用暗証番号登録結果）');
  await button(page, '確定').click();
  await heading(page, 'API連携認証（情報アクセス許可）');
  await shot(page, 'journey-03-consent');
  await page.getByLabel('許可手続きを継続する', { exact: true }).check();
  await button(page, '許可').click();

  const cb = await callback();
  const params = oauth.validateAuthResponse(c.as, c.client, cb, oauth.expectNoState);
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
    await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
  const accounts = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL('/api/v1/accounts', server.issuer), new Headers(), null, { DPoP: c.DPoP, ...c.customFetch });
  t.equal(accounts.status, 200);
  const body = await accounts.json() as { accounts: { accountNumber: string }[] };
  t.same(body.accounts.map((a) => a.accountNumber), ['3000111'], 'the partner reads the certificate customer\'s account');
});

t.test('native Chromium presents the certificate from its NSS store (pk12util import)', async (t) => {
  const home = path.join(work, 'home');
  const nssdb = `sql:${path.join(home, '.pki', 'nssdb')}`;
  await mkdir(path.join(home, '.pki', 'nssdb'), { recursive: true });
  await run('certutil', ['-N', '-d', nssdb, '--empty-password']);
  await run('pk12util', ['-i', pfxPath, '-d', nssdb, '-W', DEMO_CERTIFICATE.keyProtectionPassword]);
  const listed = await run('certutil', ['-L', '-d', nssdb]);
  t.match(listed.stdout, /u,u,u/, 'the user certificate and its key are in the NSS store');

  // Headless Chromium cannot show the certificate chooser: the auto-select content setting (what the
  // AutoSelectCertificateForUrls policy sets) picks the bank's certificate for the mutual-TLS origin,
  // written into this profile's preferences, so nothing outside the test's directories changes.
  const profile = path.join(work, 'profile');
  await mkdir(path.join(profile, 'Default'), { recursive: true });
  const rule = { setting: { filters: [{ ISSUER: { CN: 'Renkei Bank Client Issuing CA 1' } }] } };
  await writeFile(path.join(profile, 'Default', 'Preferences'), JSON.stringify({
    profile: { content_settings: { exceptions: { auto_select_certificate: { [`${server.mtlsUrl},*`]: rule } } } },
  }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, ignoreHTTPSErrors: true, locale: 'ja-JP',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    env: { ...process.env, HOME: home },
  });
  t.teardown(() => context.close());
  await guard(context);
  const page = context.pages()[0] ?? await context.newPage();
  await internetBankingLogin(t, page, 'native');
  const success = await db.selectFrom('audit_events').select(['details', 'user_agent']).where('type', '=', 'login.success')
    .where('actor_login_id', '=', MIDORI.loginId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  t.match(success, { details: { method: 'certificate' }, user_agent: /Chrome/ }, 'logged in although this context has no clientCertificates: the certificate came from NSS');
});
