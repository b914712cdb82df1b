import t from 'tap';
import type { Page } from 'playwright-core';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { startSmtpSink } from '../../integration/mail/smtp-sink.ts';
import { lastToken } from '../../integration/business-id/flow-helpers.ts';

/**
 * The ビジネスID管理 screens as seed 003 has them, in a real browser: refusals on the form, 戻る keeping the
 * input, the read-only group view, the rights explained, a group of many users deleted, the messages that
 * say what to do, and the 解約 notes. One screenshot per changed screen, for review.
 */
// Real browser / argon2 hashes: generous under a loaded CI machine.
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

const browser = await launchBrowser(t);
const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  shots.push(`${name}.png`);
}
async function login(page: Page, loginId: string, password: string) {
  await page.goto(`${origin}/ib/login`);
  await page.getByLabel('ログインID').fill(loginId);
  await page.getByLabel('ログインパスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.getByRole('heading', { name: 'ホーム' }).waitFor();
}
async function confirm(page: Page, button: string, token = lastToken(smtp.mails, MASTER_MAIL)) {
  await page.getByLabel('取引パスワード').fill('Torihiki2024');
  await page.getByLabel('メールトークン').fill(token);
  await page.getByRole('button', { name: button, exact: true }).click();
}

t.test('the changed ビジネスID管理 screens', async (t) => {
  const master = await (await newContext(browser)).newPage();
  await login(master, '1000000001', 'Aozora2024');

  // ※2 refused on the form, with the rights explained under each その他 right
  await master.goto(`${origin}/ib/business-id/groups/new`);
  await master.getByLabel('グループ名').fill('承認担当');
  const first = master.locator('.account-rights').first();
  await first.getByLabel('照会', { exact: true }).check();
  await master.getByLabel('あり', { exact: true }).first().check();
  await master.getByLabel('承認限度額1件', { exact: true }).fill('1,000');
  await master.getByLabel('自己承認限度額1件', { exact: true }).fill('100');
  await master.getByRole('button', { name: '確認' }).click();
  await master.getByRole('alert').getByText('承認権限「あり」は').waitFor();
  t.equal(await master.getByLabel('グループ名').inputValue(), '承認担当', 'the input is kept');
  await shot(master, 'bid-30-group-form-approval-refused');

  // 戻る from the confirmation keeps everything entered
  for (const right of ['操作', '振込・振替']) await first.getByLabel(right, { exact: true }).check();
  await master.getByRole('button', { name: '確認' }).click();
  await master.getByRole('heading', { name: 'グループ新規登録 確認' }).waitFor();
  await shot(master, 'bid-31-group-new-confirm');
  await master.getByRole('link', { name: '戻る' }).click();
  await master.getByRole('heading', { name: 'グループ新規登録' }).waitFor();
  t.equal(await master.getByLabel('グループ名').inputValue(), '承認担当');
  t.equal(await master.getByLabel('承認限度額1件', { exact: true }).inputValue(), '1000');
  t.ok(await first.getByLabel('振込・振替', { exact: true }).isChecked());
  await shot(master, 'bid-32-group-form-after-back');

  // The group list links a name to a read-only view of its rights
  await master.goto(`${origin}/ib/business-id/groups`);
  await master.getByRole('link', { name: '振込', exact: true }).click();
  await master.getByRole('heading', { name: 'グループ権限照会' }).waitFor();
  await shot(master, 'bid-33-group-view');

  // グループ編集 with nothing selected: the selection screen with the message and the menu
  await master.goto(`${origin}/ib/business-id/groups?mode=edit`);
  await master.getByRole('button', { name: 'グループ編集' }).click();
  await master.getByRole('alert').getByText('編集対象グループを選択してください。').waitFor();
  t.ok(await master.getByRole('navigation', { name: 'メニュー' }).isVisible());
  await shot(master, 'bid-34-group-edit-nothing-selected');

  // A group of many users: the delete confirmation keeps its headers horizontal and the names in order
  const group = await db.selectFrom('groups').select(['id', 'customer_id']).where('name', '=', '振込').executeTakeFirstOrThrow();
  const hash = (await db.selectFrom('users').select('login_password_hash').where('login_id', '=', '1000000003').executeTakeFirstOrThrow()).login_password_hash;
  for (let i = 1; i <= 40; i++) {
    await db.insertInto('users').values({
      customer_id: group.customer_id, login_id: String(7100000000 + i), name: `利用者 ${String(i).padStart(2, '0')}`, email: `u${i}@example.test`,
      role: 'member', group_id: group.id, login_password_hash: hash, status: 'setup_required', created_at: new Date(Date.UTC(2026, 0, 1, 0, i)),
    }).execute();
  }
  await master.goto(`${origin}/ib/business-id/groups?mode=delete`);
  await master.getByLabel('振込', { exact: true }).check();
  await master.getByRole('button', { name: 'グループ削除' }).click();
  await master.getByText('ユーザーも同時に削除されます').waitFor();
  const names = await master.locator('dd.names').innerText();
  t.ok(names.indexOf('利用者 01') < names.indexOf('利用者 02') && names.indexOf('利用者 39') < names.indexOf('利用者 40'), 'names in order');
  await shot(master, 'bid-35-group-delete-confirm-many');
  await master.getByRole('link', { name: '戻る' }).click();
  t.ok(await master.getByLabel('振込', { exact: true }).isChecked(), '戻る keeps the selection');

  // 取引パスワード再設定: the list says what the administrator did
  await master.goto(`${origin}/ib/business-id/users?mode=transaction-reset`);
  await master.getByLabel('佐藤 美咲').check();
  await master.getByRole('button', { name: '取引パスワード再設定（ロック解除）' }).click();
  await master.getByRole('heading', { name: /確認/ }).waitFor();
  await confirm(master, '実行');
  await master.getByRole('heading', { name: /受付完了/ }).waitFor();
  await master.goto(`${origin}/ib/business-id/users`);
  t.ok(await master.getByRole('row', { name: /佐藤 美咲/ }).getByText('取引パスワード再設定中').isVisible());
  await shot(master, 'bid-36-user-list-transaction-reset');

  // 20 rows at most, and the form says so
  await master.goto(`${origin}/ib/business-id/users/new`);
  for (let i = 0; i < 4; i++) await master.getByRole('button', { name: '+5件追加' }).click();
  await master.getByText('入力欄は最大20件です').waitFor();
  await shot(master, 'bid-37-user-form-20-rows');

  // Five wrong メールトークン: the screen says the tries are used up
  await master.goto(`${origin}/ib/business-id/groups/new`);
  await master.getByLabel('グループ名').fill('トークン確認');
  await master.getByRole('button', { name: '確認' }).click();
  await master.getByRole('heading', { name: 'グループ新規登録 確認' }).waitFor();
  const confirmUrl = master.url();
  for (let i = 0; i < 5; i++) await confirm(master, '登録', '000000');
  await master.getByRole('alert').getByText('入力回数が上限').waitFor();
  await shot(master, 'bid-38-confirm-tries-used-up');

  // A replayed confirmation: the list with the message, not a bare error page
  await master.getByRole('button', { name: '再発行' }).click();
  await master.getByText('メールトークンを再発行しました').waitFor();
  await confirm(master, '登録');
  await master.getByRole('heading', { name: 'グループ新規登録 完了' }).waitFor();
  await master.goto(confirmUrl);
  await master.getByRole('alert').getByText('この手続きは有効期限切れか、既に完了しています。').waitFor();
  await shot(master, 'bid-39-confirm-replayed');

  // English: no Japanese fragments in the sentences of the group form
  await master.goto(`${origin}/ib/business-id/groups/new?lang=en`);
  await master.getByRole('heading', { name: 'New group' }).waitFor();
  t.notOk(await master.getByText('操作 requires').count(), 'no 「操作 requires 照会」');
  await shot(master, 'bid-40-group-form-en');
  await master.goto(`${origin}/ib/business-id/groups?lang=ja`);

  // A group administrator is not offered the master in ユーザー編集
  const groupAdmin = await (await newContext(browser)).newPage();
  await login(groupAdmin, '1000000004', 'User3pass2024');
  await groupAdmin.goto(`${origin}/ib/business-id/users?mode=edit`);
  t.equal(await groupAdmin.getByLabel('青空 太郎').count(), 0);
  await shot(groupAdmin, 'bid-41-user-edit-select-group-admin');

  // 電子証明書 解約: the seed's notes on the confirmation and on the completion screen
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', group.customer_id).execute();
  await master.goto(`${origin}/ib/settings`);
  await master.locator('form[action="/ib/settings/certificate/cancel"] button').click();
  await master.getByRole('heading', { name: '電子証明書 解約確認' }).waitFor();
  await shot(master, 'bid-42-certificate-cancel-confirm');
  await confirm(master, '解約申込');
  await master.getByRole('heading', { name: '電子証明書 解約受付完了' }).waitFor();
  await shot(master, 'bid-43-certificate-cancel-done');

  // ビジネスID管理 解約確認 with notes (1)–(4)
  await master.goto(`${origin}/ib/settings`);
  await master.locator('form[action="/ib/settings/business-id/cancel"] button').click();
  await master.getByRole('heading', { name: 'ビジネスID管理 解約確認' }).waitFor();
  await shot(master, 'bid-44-business-id-cancel-confirm');

  // No group yet: ユーザー追加 says a group is needed first
  await db.deleteFrom('group_account_rights').where('customer_id', '=', group.customer_id).execute();
  await db.updateTable('users').set({ deleted_at: new Date(), group_id: null }).where('customer_id', '=', group.customer_id).where('role', '=', 'member').execute();
  await db.deleteFrom('groups').where('customer_id', '=', group.customer_id).execute();
  await master.goto(`${origin}/ib/business-id/users`);
  await master.getByText('先にグループ一覧でグループを作成してください').waitFor();
  await shot(master, 'bid-45-user-list-no-groups');

  t.comment(`screenshots: ${shots.join(', ')}`);
  t.equal(shots.length, 16);
});
