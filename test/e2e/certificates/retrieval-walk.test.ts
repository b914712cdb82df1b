import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import t from 'tap';
import { orderCertificate } from '../../../src/certificates/orders.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { launchBrowser, screenshotPath } from '../../helpers/browser.ts';

/**
 * 電子証明書の取得 in a real browser (DESIGN §14): the order's mail in the outbox → its URL →
 * 証明書取得用パスワード入力 → 鍵保護パスワード設定 with the terms → 証明書ダウンロード (a Playwright
 * download) → the downloaded file as the browser's client certificate on the mutual-TLS origin's
 * 電子証明書ログイン, into internet banking; then 電子証明書の更新 with it, whose first login retires it.
 */
t.setTimeout(240_000);

const server = await startAuthServer(t);
const { db } = server.database;
const browser = await launchBrowser(t);
const MIDORI = { loginId: '3000000001', password: 'Midori2024', name: '緑川 誠' };
const RETRIEVAL = 'Walk2026pass';
const KEY = 'WalkKey2026abc';

const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(`certificates-retrieve-${name}`), fullPage: true });
  shots.push(`certificates-retrieve-${name}.png`);
}
t.teardown(() => {
  if (shots.length) console.error(`# screenshots in test-artifacts/screenshots/: ${shots.join(', ')}`);
});
const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

t.test('mail → password → 鍵保護パスワード → download → certificate login with the downloaded file', async (t) => {
  const user = await db.selectFrom('users').select(['id', 'email']).where('login_id', '=', MIDORI.loginId).executeTakeFirstOrThrow();
  await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL, orderedByUserId: null, now: new Date(), publicUrl: server.issuer });
  const mail = await db.selectFrom('mail_outbox').select(['subject', 'text_body']).where('to_address', '=', user.email)
    .where('subject', 'like', '%電子証明書取得のお願い%').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  const url = /https:\/\/\S+\/certificates\/retrieve\/[0-9a-f-]{36}/.exec(mail.text_body)?.[0];
  t.ok(url, 'the mail carries the retrieval URL');
  t.match(mail.text_body, `コモンネーム: ${MIDORI.loginId}`);

  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP', acceptDownloads: true });
  t.teardown(() => context.close());
  context.setDefaultTimeout(60_000);
  await context.route((u) => u.hostname !== 'localhost' && u.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  await page.goto(url!);
  await heading(page, '証明書取得用パスワード入力');
  t.ok(await page.getByRole('cell', { name: MIDORI.loginId, exact: true }).isVisible(), 'the コモンネーム is shown');
  await shot(page, '01-password');
  await page.getByLabel('証明書取得用パスワード', { exact: true }).fill('Wrong2026pass');
  await button(page, '次へ').click();
  await page.getByRole('alert').waitFor();
  t.match(await page.getByRole('alert').innerText(), 'あと4回');
  await shot(page, '02-wrong-password');
  await page.getByLabel('証明書取得用パスワード', { exact: true }).fill(RETRIEVAL);
  await button(page, '次へ').click();

  await heading(page, '鍵保護パスワード設定');
  await page.getByLabel('鍵保護パスワード', { exact: true }).fill(KEY);
  await page.getByLabel('鍵保護パスワード(確認用)', { exact: true }).fill(`${KEY}x`);
  await page.getByLabel('同意する').check();
  await shot(page, '03-key-password');
  await button(page, '次へ').click();
  await page.getByRole('alert').waitFor();
  t.match(await page.getByRole('alert').innerText(), '一致しません');
  await shot(page, '04-key-mismatch');
  await page.getByLabel('鍵保護パスワード', { exact: true }).fill(KEY);
  await page.getByLabel('鍵保護パスワード(確認用)', { exact: true }).fill(KEY);
  await page.getByLabel('同意する').check();
  await button(page, '次へ').click();

  await heading(page, '証明書ダウンロード');
  await shot(page, '05-download');
  const [download] = await Promise.all([page.waitForEvent('download'), button(page, '証明書ダウンロード').click()]);
  t.equal(download.suggestedFilename(), `${MIDORI.loginId}.pfx`);
  const pfx = await readFile((await download.path())!);
  t.ok(pfx.length > 500, 'a PKCS#12 file');
  await page.goto(url!);
  await heading(page, '電子証明書の取得');
  t.match(await page.getByRole('alert').innerText(), '既に取得済み', 'single use');
  await shot(page, '06-used');

  // The downloaded file, as the browser's certificate for the mutual-TLS origin.
  const withCert = await browser.newContext({
    ignoreHTTPSErrors: true, locale: 'ja-JP', clientCertificates: [{ origin: server.mtlsUrl, pfx, passphrase: KEY }],
  });
  t.teardown(() => withCert.close());
  withCert.setDefaultTimeout(60_000);
  await withCert.route((u) => u.hostname !== 'localhost' && u.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  const ib = await withCert.newPage();
  await ib.goto(`${server.mtlsUrl}/ib/certificate-login`);
  await heading(ib, '電子証明書ログイン');
  t.ok(await ib.getByRole('cell', { name: MIDORI.name, exact: true }).isVisible(), 'the new certificate names its holder');
  await ib.getByLabel('ログインパスワード', { exact: true }).fill(MIDORI.password);
  await button(ib, 'ログイン').click();
  await ib.waitForURL(`${server.issuer}/ib/`);
  t.match(await ib.locator('.ib-who').innerText(), MIDORI.name, 'logged in with the downloaded certificate');
  await shot(ib, '07-logged-in');
  const cert = await db.selectFrom('certificates').select(['first_login_at', 'order_id']).where('user_id', '=', user.id).where('status', '=', 'issued').executeTakeFirstOrThrow();
  t.ok(cert.order_id && cert.first_login_at, 'the retrieved certificate, now used');

  // 電子証明書の更新 with the same certificate (the screens of the mutual-TLS origin).
  await ib.goto(`${server.mtlsUrl}/certificates/renew`);
  await heading(ib, '電子証明書の更新');
  t.ok(await ib.getByRole('cell', { name: MIDORI.loginId, exact: true }).isVisible());
  await shot(ib, '08-renew');
  const RENEWED_KEY = 'RenewKey2027xyz';
  await ib.getByLabel('鍵保護パスワード', { exact: true }).fill(RENEWED_KEY);
  await ib.getByLabel('鍵保護パスワード(確認用)', { exact: true }).fill(RENEWED_KEY);
  await ib.getByLabel('同意する').check();
  await button(ib, '次へ').click();
  await heading(ib, '証明書ダウンロード');
  await shot(ib, '09-renew-download');
  const [renewal] = await Promise.all([ib.waitForEvent('download'), button(ib, '証明書ダウンロード').click()]);
  t.equal(renewal.suggestedFilename(), `${MIDORI.loginId}.pfx`);
  const renewedPfx = await readFile((await renewal.path())!);
  const old = await db.selectFrom('certificates').select(['id', 'status']).where('user_id', '=', user.id).where('order_id', 'is not', null).where('replaces_certificate_id', 'is', null).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  t.equal(old.status, 'issued', 'the current certificate still works after the renewal…');

  // The first login with the renewed certificate retires the old one.
  const renewedContext = await browser.newContext({
    ignoreHTTPSErrors: true, locale: 'ja-JP', clientCertificates: [{ origin: server.mtlsUrl, pfx: renewedPfx, passphrase: RENEWED_KEY }],
  });
  t.teardown(() => renewedContext.close());
  renewedContext.setDefaultTimeout(60_000);
  await renewedContext.route((u) => u.hostname !== 'localhost' && u.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  const next = await renewedContext.newPage();
  await next.goto(`${server.mtlsUrl}/ib/certificate-login`);
  await heading(next, '電子証明書ログイン');
  await next.getByLabel('ログインパスワード', { exact: true }).fill(MIDORI.password);
  await button(next, 'ログイン').click();
  await next.waitForURL(`${server.issuer}/ib/`);
  t.match(await db.selectFrom('certificates').select(['status', 'revoke_reason']).where('id', '=', old.id).executeTakeFirstOrThrow(), { status: 'revoked', revoke_reason: 'superseded' }, '…until the renewed one first logs in');
  const stale = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP', clientCertificates: [{ origin: server.mtlsUrl, pfx, passphrase: KEY }] });
  t.teardown(() => stale.close());
  const refused = await stale.newPage();
  await refused.goto(`${server.mtlsUrl}/ib/certificate-login`);
  await heading(refused, '電子証明書ログイン');
  t.match(await refused.getByRole('alert').innerText(), '失効', 'the old certificate is refused');
  await shot(refused, '10-old-refused');
});
