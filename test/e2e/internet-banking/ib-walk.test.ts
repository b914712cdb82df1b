import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { recordAudit } from '../../../src/audit/audit.repository.ts';
import { issueLoginReset, MAX_RESET_CODE_ATTEMPTS } from '../../../src/auth/passwords.service.ts';
import { deriveCodeKey } from '../../../src/business-id/confirmations.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';

/**
 * The internet-banking core screens in a real browser (Debian's chromium through playwright-core) over
 * HTTPS: ホーム with the accounts each user may see, 残高照会, 入出金明細 (paged), ログイン・操作履歴 (in
 * words, paged, a bad date), 取引パスワードの再設定, the used-up 認証番号, the session ended by a login
 * elsewhere, the individual's header, settings, and English mode. One screenshot per screen, for review.
 */
t.setTimeout(180_000);
const tls = await generateSelfSigned(['localhost']);
const { app, database } = await buildTestApp(t, { env: { DEV_MAILBOX: 'false' }, build: { https: { key: tls.key, cert: tls.cert } } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
const origin = `https://localhost:${port}`;
const browser = await launchBrowser(t);

async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
}

async function logIn(b: Browser, loginId: string, password: string, locale?: string): Promise<Page> {
  const page = await (await newContext(b, locale ? { locale } : {})).newPage();
  await page.goto(`${origin}/ib/login`);
  await page.getByLabel('ログインID').fill(loginId);
  await page.getByLabel('ログインパスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  return page;
}

const text = (page: Page) => page.locator('main').innerText();

t.test('accounts: ホーム, 残高照会 and 入出金明細 by what each user may see', async (t) => {
  const master = await logIn(browser, '1000000001', 'Aozora2024');
  t.match(await text(master), /円定期\s+1000771/);
  t.match(await text(master), /外貨普通\s+1000995\s+[0-9,]+\.[0-9]{2} USD/);
  await shot(master, 'ibw-01-home-master');
  await master.locator('tr', { hasText: '1000995' }).getByRole('link', { name: '残高照会' }).click();
  await master.getByRole('heading', { name: '残高照会' }).waitFor();
  await shot(master, 'ibw-02-balance-fx');

  const member = await logIn(browser, '1000000002', 'User1pass2024');
  const home = await text(member);
  t.match(home, '1000088');
  t.notMatch(home, '1000995', 'no 外貨普通照会 for this group');
  await shot(member, 'ibw-03-home-member');
  await member.locator('tr', { hasText: '1000088' }).getByRole('link', { name: '入出金明細' }).click();
  await member.getByRole('heading', { name: '入出金明細' }).waitFor();
  t.match(await text(member), /2026\/11\/[0-9]{2}/);
  await shot(member, 'ibw-04-statement');
  await member.getByRole('link', { name: '次へ（過去の明細）' }).click();
  await member.getByRole('link', { name: '最新の明細へ' }).waitFor();
  await shot(member, 'ibw-05-statement-older');

  const none = await logIn(browser, '1000000004', 'User3pass2024');
  t.match(await text(none), '照会できる口座はありません。');
  await shot(none, 'ibw-06-home-no-accounts');

  const hanako = await logIn(browser, '2000000001', 'Hanako2024');
  t.equal(await hanako.locator('.ib-who').innerText(), '青空 花子さま', 'the name once');
  await shot(hanako, 'ibw-07-home-individual');
});

t.test('ログイン・操作履歴: words, JST, paging, yyyy-mm-dd filters, an impossible date', async (t) => {
  const master = await logIn(browser, '1000000001', 'Aozora2024');
  const corp = await db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  for (let i = 0; i < 60; i++) await recordAudit(db, { type: 'login.failure', outcome: 'failure', customerId: corp.customer_id, actorUserId: corp.id, details: { channel: 'internet_banking', reason: 'wrong_password', failures: 1 } });
  await master.goto(`${origin}/ib/audit`);
  const page = await text(master);
  t.notMatch(page, 'login.success');
  t.match(page, '利用チャネル: インターネットバンキング');
  t.equal(await master.getByLabel('開始日').getAttribute('placeholder'), 'yyyy-mm-dd');
  await shot(master, 'ibw-08-audit');
  await master.getByRole('link', { name: '次へ（過去の履歴）' }).click();
  await master.getByRole('link', { name: '最新の履歴へ' }).waitFor();
  await shot(master, 'ibw-09-audit-older');
  await master.goto(`${origin}/ib/audit?from=2026-02-30`);
  t.match(await text(master), 'カレンダーにある日を yyyy-mm-dd で入力してください');
  await shot(master, 'ibw-10-audit-impossible-date');
  await master.goto(`${origin}/ib/audit?lang=en`);
  t.match(await text(master), 'Login failed');
  await shot(master, 'ibw-11-audit-en');
  await master.goto(`${origin}/ib/?lang=en`);
  t.match(await text(master), /Yen time deposit\s+1000771/);
  await shot(master, 'ibw-12-home-en');
  await master.goto(`${origin}/ib/settings?lang=ja`);
  await shot(master, 'ibw-13-settings');
});

t.test('取引パスワードの再設定 after an administrator reset only that password', async (t) => {
  const u = await db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', '1000000003').executeTakeFirstOrThrow();
  const admin = await db.selectFrom('users').select('id').where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  // What the confirmed 取引パスワード再設定（ロック解除） does (src/business-id/changes.ts).
  await db.updateTable('users').set({ transaction_password_hash: null, status: 'setup_required' }).where('id', '=', u.id).execute();
  await recordAudit(db, { type: 'password.transaction_reset', customerId: u.customer_id, actorUserId: admin.id, subjectUserId: u.id });
  const user = await logIn(browser, '1000000003', 'User2pass2024');
  await user.getByRole('heading', { name: '取引パスワードの再設定' }).waitFor();
  t.equal(await user.getByLabel('新しいログインパスワード').count(), 0, 'no login-password change');
  await shot(user, 'ibw-14-transaction-password-reset');
  await user.getByLabel('新しい取引パスワード', { exact: true }).fill('NewTx2026a');
  await user.getByLabel('新しい取引パスワード（確認用）').fill('NewTx2026a');
  await user.getByRole('button', { name: '設定', exact: true }).click();
  await user.getByText('取引パスワードの設定が完了しました。').waitFor();
  await shot(user, 'ibw-15-transaction-password-reset-done');
});

t.test('messages that tell what happened: tries used up, a login elsewhere', async (t) => {
  const u = await db.selectFrom('users').select('id').where('login_id', '=', '1000000004').executeTakeFirstOrThrow();
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', u.id).execute();
  const { token, code } = await issueLoginReset(db, { userId: u.id, codeKey: deriveCodeKey(TEST_SECRETS.keyEncryptionKey) });
  const page = await (await newContext(browser)).newPage();
  await page.goto(`${origin}/ib/password-reset/${token}`);
  for (let i = 0; i < MAX_RESET_CODE_ATTEMPTS; i++) {
    await page.locator('#code').fill(code === '000000' ? '111111' : '000000');
    await page.locator('#newPassword').fill('Reset2026zz');
    await page.locator('#newPasswordConfirm').fill('Reset2026zz');
    await page.getByRole('button', { name: '設定', exact: true }).click();
    await page.getByRole('alert').waitFor();
  }
  t.match(await text(page), '入力回数が上限');
  await shot(page, 'ibw-16-reset-tries-used-up');

  const first = await logIn(browser, '1000000002', 'User1pass2024');
  await logIn(browser, '1000000002', 'User1pass2024');
  await first.reload();
  await first.getByText('別の場所でログインされたため、ログアウトしました。').waitFor();
  await shot(first, 'ibw-17-logged-out-by-login-elsewhere');
});
