import t from 'tap';
import type { Page } from 'playwright-core';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { startSmtpSink } from '../../integration/mail/smtp-sink.ts';
import { lastToken } from '../../integration/business-id/flow-helpers.ts';

/**
 * A corporate administrator in a real browser (Debian's chromium through playwright-core) against a
 * real HTTPS listener, with mail over real SMTP: グループ追加 → ユーザー追加 → the new user's first login →
 * ログインパスワード再設定 → the user's reset and setup again. One screenshot per screen, for review.
 */
// Real browser / many argon2 hashes: generous under a loaded CI machine.
t.setTimeout(180_000);
const smtp = await startSmtpSink(t);
const tls = await generateSelfSigned(['localhost']);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' }, build: { https: { key: tls.key, cert: tls.cert } } });
await seedDemoData(database.db, { today: '2026-11-20' });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
const origin = `https://localhost:${port}`;
const MASTER_MAIL = 'taro.aozora@aozora-shoji.example';
const NEW_MAIL = 'kanri.tanaka@example.test';

const browser = await launchBrowser(t);
const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  shots.push(`${name}.png`);
}

async function confirmWithToken(page: Page, name: string, button: string) {
  await page.getByRole('heading', { level: 1 }).waitFor();
  await shot(page, name);
  await page.getByLabel('取引パスワード').fill('Torihiki2024');
  await page.getByLabel('メールトークン').fill(lastToken(smtp.mails, MASTER_MAIL));
  await page.getByRole('button', { name: button, exact: true }).click();
}

t.test('group add → user add → first login → password reset → setup again', async (t) => {
  const admin = await (await newContext(browser)).newPage();
  await admin.goto(`${origin}/ib/login`);
  t.equal(await admin.title(), 'ログイン | renkei');
  await shot(admin, 'ib-01-login');
  await admin.getByLabel('ログインID').fill('1000000001');
  await admin.getByLabel('ログインパスワード').fill('Aozora2024');
  await admin.getByRole('button', { name: 'ログイン', exact: true }).click();
  await admin.getByRole('heading', { name: 'ホーム' }).waitFor();
  await shot(admin, 'ib-02-home');

  // グループ追加
  await admin.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: 'グループ一覧' }).click();
  await admin.getByRole('heading', { name: 'ビジネスID管理' }).waitFor();
  await shot(admin, 'bid-03-group-list');
  await admin.getByRole('link', { name: 'グループ追加' }).click();
  t.equal(await admin.title(), 'グループ新規登録 | renkei');
  await admin.getByLabel('グループ名').fill('管理部');
  const first = admin.locator('.account-rights').first();
  for (const right of ['照会', '操作', '振込・振替']) await first.getByLabel(right, { exact: true }).check();
  await admin.getByLabel('あり', { exact: true }).first().check();
  await admin.getByLabel('承認限度額1件', { exact: true }).fill('500');
  await admin.getByLabel('自己承認限度額1件', { exact: true }).fill('50');
  await admin.locator('.other-right', { hasText: 'グループ・ユーザー権限設定' }).getByLabel('可', { exact: true }).check();
  await shot(admin, 'bid-04-group-new');
  await admin.getByRole('button', { name: '確認' }).click();
  await confirmWithToken(admin, 'bid-05-group-new-confirm', '登録');
  await admin.getByRole('heading', { name: 'グループ新規登録 完了' }).waitFor();
  await shot(admin, 'bid-06-group-new-done');
  await admin.getByRole('link', { name: 'グループ一覧へ' }).click();
  t.ok(await admin.getByRole('cell', { name: '管理部' }).isVisible());

  // ユーザー追加
  await admin.getByRole('link', { name: 'ユーザー一覧' }).first().click();
  await admin.getByText('ユーザー登録できます').waitFor();
  await shot(admin, 'bid-07-user-list');
  await admin.getByRole('link', { name: 'ユーザー追加' }).click();
  await admin.getByRole('button', { name: '+1件追加' }).click();
  t.equal(await admin.locator('input[name="name"]').count(), 2);
  await admin.getByLabel('ユーザー名 1').fill('田中 管理');
  await admin.getByLabel('メールアドレス 1').fill(NEW_MAIL);
  await admin.getByLabel('所属グループ 1').selectOption({ label: '管理部' });
  await shot(admin, 'bid-08-user-new');
  await admin.getByRole('button', { name: '確認' }).click();
  await confirmWithToken(admin, 'bid-09-user-new-confirm', '変更');
  await admin.getByRole('heading', { name: 'ユーザー登録・編集 完了' }).waitFor();
  await shot(admin, 'bid-10-user-new-done');
  const welcome = smtp.mails.find((m) => m.to.includes(NEW_MAIL))!;
  const loginId = /ユーザーID（ログインID）: ([0-9]{10})/.exec(welcome.text)![1]!;
  const temp = /仮ログインパスワード: (\S+)/.exec(welcome.text)![1]!;
  t.ok(await admin.getByRole('cell', { name: loginId }).isVisible(), 'the new login ID is on the completion screen');

  // The new user's first login
  const userContext = await newContext(browser);
  const user = await userContext.newPage();
  await user.goto(`${origin}/ib/login`);
  await user.getByLabel('ログインID').fill(loginId);
  await user.getByLabel('ログインパスワード').fill(temp);
  await user.getByRole('button', { name: 'ログイン', exact: true }).click();
  await user.getByRole('heading', { name: '初回ログイン時の設定' }).waitFor();
  await shot(user, 'ib-11-first-login-setup');
  await user.getByLabel('取引パスワード', { exact: true }).fill('KanriTx2024');
  await user.getByLabel('取引パスワード（確認用）').fill('KanriTx2024');
  await user.getByLabel('新しいログインパスワード', { exact: true }).fill('KanriLogin2024');
  await user.getByLabel('新しいログインパスワード（確認用）').fill('KanriLogin2024');
  await user.getByRole('button', { name: '設定' }).click();
  await user.getByRole('heading', { name: '初回ログイン時の設定 完了' }).waitFor();
  await shot(user, 'ib-12-first-login-setup-done');
  await user.getByRole('link', { name: '閉じる' }).click();
  t.ok(await user.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: 'ユーザー一覧' }).isVisible(), 'the group grants user administration');

  // ログインパスワード再設定（ロック解除） by the master
  await admin.getByRole('link', { name: 'ユーザー一覧へ' }).click();
  await admin.getByRole('link', { name: 'ログインパスワード再設定（ロック解除）' }).click();
  await admin.getByLabel('田中 管理').check();
  await shot(admin, 'bid-13-login-reset-select');
  await admin.getByRole('button', { name: 'ログインパスワード再設定（ロック解除）' }).click();
  await confirmWithToken(admin, 'bid-14-login-reset-confirm', '実行');
  await admin.getByRole('heading', { name: /受付完了/ }).waitFor();
  await shot(admin, 'bid-15-login-reset-done');

  // The user: logged out at once, resets from the mailed URL, then first-login setup again
  await user.goto(`${origin}/ib/`);
  await user.getByRole('heading', { name: 'インターネットバンキング ログイン' }).waitFor();
  const resetMail = [...smtp.mails].reverse().find((m) => m.to.includes(NEW_MAIL) && m.subject.includes('ログインパスワード再設定'))!;
  const resetPath = /(\/ib\/password-reset\/[A-Za-z0-9_-]{43})/.exec(resetMail.text)![1]!;
  const code = /認証番号: ([0-9]{6})/.exec(resetMail.text)![1]!;
  await user.goto(`${origin}${resetPath}`);
  await shot(user, 'ib-16-password-reset');
  await user.getByLabel('認証番号').fill(code);
  await user.getByLabel('新しいログインパスワード', { exact: false }).first().fill('Kanri2025New');
  await user.getByLabel('新しいログインパスワード（確認用）').fill('Kanri2025New');
  await user.getByRole('button', { name: '設定' }).click();
  await user.getByText('ログインパスワードの再設定が完了しました').waitFor();
  await shot(user, 'ib-17-password-reset-done');
  await user.getByRole('link', { name: 'ログイン画面へ' }).click();
  await user.getByLabel('ログインID').fill(loginId);
  await user.getByLabel('ログインパスワード').fill('Kanri2025New');
  await user.getByRole('button', { name: 'ログイン', exact: true }).click();
  await user.getByRole('heading', { name: '初回ログイン時の設定' }).waitFor();
  await shot(user, 'ib-18-first-login-setup-again');

  // The rest of the administrator's screens, for review
  await admin.goto(`${origin}/ib/audit`);
  await shot(admin, 'ib-19-audit-log');
  await admin.goto(`${origin}/ib/settings`);
  await shot(admin, 'ib-20-customer-settings');
  await admin.goto(`${origin}/ib/business-id/groups?mode=delete`);
  await admin.getByLabel('管理部').check();
  await admin.getByRole('button', { name: 'グループ削除' }).click();
  await admin.getByText('ユーザーも同時に削除されます').waitFor();
  await shot(admin, 'bid-21-group-delete-confirm');
  await admin.goto(`${origin}/ib/login?lang=en`);
  await shot(admin, 'ib-22-login-en');
  t.comment(`screenshots: ${shots.join(', ')}`);
  t.equal(shots.length, 22);
});
