import t from 'tap';
import type { Page } from 'playwright-core';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { startSmtpSink } from '../../integration/mail/smtp-sink.ts';
import { lastToken } from '../../integration/business-id/flow-helpers.ts';

/**
 * The 電子証明書 settings in a real browser (DESIGN §14): 電子証明書 申込 in お客さま情報, ordering through the
 * 電子証明書発行（再発行） checkbox of ユーザー登録・編集 and for the master, ログイン方法の変更 in セキュリティ, and 解約.
 * One screenshot per screen: test-artifacts/screenshots/certificates-settings-*.png.
 */
t.setTimeout(240_000);
const smtp = await startSmtpSink(t);
const tls = await generateSelfSigned(['localhost']);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' }, build: { https: { key: tls.key, cert: tls.cert } } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
const origin = `https://localhost:${port}`;
const MASTER_MAIL = 'taro.aozora@aozora-shoji.example';
const corp = await db.selectFrom('customers').select('id').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const customer = () => db.selectFrom('customers').selectAll().where('id', '=', corp.id).executeTakeFirstOrThrow();

const browser = await launchBrowser(t);
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(`certificates-settings-${name}`), fullPage: true });
}
async function confirm(page: Page, button: string) {
  await page.getByLabel('取引パスワード').fill('Torihiki2024');
  await page.getByLabel('メールトークン').fill(lastToken(smtp.mails, MASTER_MAIL));
  await page.getByRole('button', { name: button, exact: true }).click();
}

t.test('申込 → ordering → ログイン方法の変更 → 解約', async (t) => {
  const page = await (await newContext(browser)).newPage();
  await page.goto(`${origin}/ib/login`);
  await page.getByLabel('ログインID').fill('1000000001');
  await page.getByLabel('ログインパスワード').fill('Aozora2024');
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.getByRole('heading', { name: 'ホーム' }).waitFor();

  // 電子証明書 申込
  await page.getByRole('link', { name: 'お客さま情報（申込・設定）' }).first().click();
  await page.getByText('電子証明書 未申込').waitFor();
  await shot(page, '01-registration');
  await page.getByRole('button', { name: '申込', exact: true }).click();
  await page.getByRole('heading', { name: '入力内容の確認' }).waitFor();
  t.ok(await page.getByText('利用します').isVisible());
  await shot(page, '02-apply-confirm');
  await confirm(page, '申込');
  await page.getByRole('heading', { name: '電子証明書 利用申込完了' }).waitFor();
  await shot(page, '03-apply-done');
  t.match(await customer(), { certificate_service_status: 'active' });

  // ユーザー追加 with 電子証明書発行（再発行）
  await page.goto(`${origin}/ib/business-id/users/new`);
  await page.getByLabel('ユーザー名 1').fill('証明 花子');
  await page.getByLabel('メールアドレス 1').fill('cert.hanako@aozora-shoji.example');
  await page.getByLabel('所属グループ 1').selectOption({ label: '振込' });
  await page.getByLabel('電子証明書発行（再発行）').first().check();
  await page.getByLabel('証明書取得用パスワード 1').fill('Hanako2026cert');
  await shot(page, '04-user-form-checkbox');
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await page.getByRole('heading', { name: 'ユーザー登録・編集 確認' }).waitFor();
  await shot(page, '05-user-confirm');
  await confirm(page, '変更');
  await page.getByRole('heading', { name: 'ユーザー登録・編集 完了' }).waitFor();
  await shot(page, '06-user-done');
  const mail = smtp.mails.find((m) => m.to.includes('cert.hanako@aozora-shoji.example') && m.subject.includes('電子証明書取得のお願い'));
  t.ok(mail, '電子証明書取得のお願い is mailed');
  t.match(mail?.text ?? '', /\/certificates\/retrieve\/[0-9a-f-]{36}/);

  // ユーザー編集 of an existing user: the same checkbox (再発行)
  await page.goto(`${origin}/ib/business-id/users?mode=edit`);
  await page.getByLabel('鈴木 健一').first().check();
  await page.getByRole('button', { name: 'ユーザー編集', exact: true }).click();
  await page.getByRole('heading', { name: 'ユーザー登録・編集' }).waitFor();
  await page.getByLabel('電子証明書発行（再発行）').first().check();
  await page.getByLabel('証明書取得用パスワード 1').fill('Kenichi2026cert');
  await shot(page, '07-user-edit-checkbox');
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await confirm(page, '変更');
  await page.getByRole('heading', { name: 'ユーザー登録・編集 完了' }).waitFor();

  // The master's own certificate in お客さま情報
  await page.goto(`${origin}/ib/settings`);
  await page.getByLabel('電子証明書発行（再発行）').check();
  await page.getByLabel('証明書取得用パスワード').fill('Master2026cert');
  await shot(page, '08-master-order');
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await page.getByRole('heading', { name: '電子証明書発行（再発行） 確認' }).waitFor();
  await confirm(page, '申込');
  await page.getByRole('heading', { name: '電子証明書発行（再発行） 完了' }).waitFor();
  t.ok(smtp.mails.some((m) => m.to.includes(MASTER_MAIL) && m.subject.includes('電子証明書取得のお願い')));

  // セキュリティ → ログイン方法の変更, listing who has no certificate yet
  await page.goto(`${origin}/ib/settings`);
  await page.getByRole('link', { name: 'セキュリティ', exact: true }).click();
  await page.getByRole('heading', { name: 'ログイン方法の変更' }).waitFor();
  t.ok(await page.locator('#users-without-certificate').getByText('取得待ち').first().isVisible(), 'ordered users are listed as awaiting retrieval');
  await page.getByLabel('電子証明書', { exact: true }).check();
  await shot(page, '09-security-login-method');
  await page.getByRole('button', { name: '変更', exact: true }).click();
  await page.getByRole('heading', { name: 'ログイン方法の変更 確認' }).waitFor();
  await shot(page, '10-login-method-confirm');
  await confirm(page, '変更');
  await page.getByRole('heading', { name: 'ログイン方法の変更 完了' }).waitFor();
  await shot(page, '11-login-method-done');
  t.match(await customer(), { login_method: 'certificate' });

  // 解約: every certificate revoked, the login method back to ユーザーID
  await page.goto(`${origin}/ib/settings`);
  await page.getByRole('button', { name: '解約', exact: true }).click();
  await page.getByRole('heading', { name: '電子証明書 解約確認' }).waitFor();
  await shot(page, '12-cancel-confirm');
  await confirm(page, '解約申込');
  await page.getByRole('heading', { name: '電子証明書 解約受付完了' }).waitFor();
  await shot(page, '13-cancel-done');
  t.match(await customer(), { certificate_service_status: 'none', login_method: 'password' });
  const open = await db.selectFrom('certificate_orders').select('id').where('status', '=', 'open').execute();
  t.equal(open.length, 0, 'the open orders are cancelled with the service');
  await page.goto(`${origin}/ib/settings`);
  await page.getByText('電子証明書 未申込').waitFor();
});
