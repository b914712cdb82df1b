import type { Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, newContext, screenshotPath } from '../helpers/browser.ts';
import { startDemoServer } from '../integration/demo/demo-server.ts';

/**
 * 振込 from the partner demo in a real browser (DESIGN §17): user 2 of 青空商事 links 1000088 choosing
 * 振込 among the 利用業務, reads on the permission screen that transfers wait for approval in 申請・承認一覧,
 * then asks for a transfer on 「振込を依頼する」 and sees it 申請中. Screenshots transfer-01 … transfer-04
 * in test-artifacts/screenshots/. Loopback only.
 */
t.setTimeout(240_000);

const server = await startDemoServer(t);
const browser = await launchBrowser(t);

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const shot = async (page: Page, name: string) => page.screenshot({ path: await screenshotPath(name), fullPage: true });

t.test('振込 chosen in the journey → 振込を依頼する → 振込の状況 申請中', async (t) => {
  const context = await newContext(browser);
  context.setDefaultTimeout(90_000);
  const offNetwork: string[] = [];
  await context.route((url) => url.hostname !== 'localhost' && url.hostname !== '127.0.0.1', async (route) => {
    offNetwork.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  await page.goto(`${server.issuer}/demo`);
  await button(page, '口座を連携する').click();
  await heading(page, 'API連携認証（利用登録）');
  await page.getByLabel('ログインID', { exact: true }).fill('1000000003');
  await page.getByLabel('ログインパスワード', { exact: true }).fill('User2pass2024');
  await button(page, 'API連携').click();

  await heading(page, 'API連携認証（認可業務選択）');
  const transfers = page.getByRole('checkbox', { name: '振込', exact: true });
  t.ok(await transfers.isChecked(), '振込 offered, ticked like the others');
  t.match(await page.locator('main').innerText(), '「申請・承認一覧」で承認するまで実行されません');
  await shot(page, 'transfer-01-business');
  await button(page, '次へ').click();

  await heading(page, 'API連携認証（照会用暗証番号登録）');
  await page.getByRole('radio', { name: '1000088' }).check();
  await page.getByLabel('照会用暗証番号', { exact: true }).fill('7392');
  await button(page, '登録').click();
  await heading(page, 'API連携認証（照会用暗証番号登録結果）');
  await button(page, '確定').click();

  await heading(page, 'API連携認証（情報アクセス許可）');
  const consent = await page.locator('main').innerText();
  t.match(consent, 'かんたん家計簿は、許可する口座からの振込を依頼できるようになります。');
  t.match(consent, '「申請・承認一覧」で取引パスワードを入力して承認するまで実行されません');
  await shot(page, 'transfer-02-consent');
  await page.getByLabel('許可手続きを継続する', { exact: true }).check();
  await button(page, '許可').click();

  await heading(page, '連携中の口座');
  await page.getByRole('link', { name: '振込を依頼する', exact: true }).click();
  await heading(page, '振込を依頼する');
  t.equal(await page.getByLabel('口座番号（7桁）').inputValue(), '2000123', 'the sample beneficiary prefilled');
  await page.getByLabel('振込金額（円）').fill('5000');
  await page.getByLabel('申請コメント（20文字以内・任意）').fill('会費');
  await shot(page, 'transfer-03-form');
  await button(page, '振込を依頼する').click();

  await heading(page, '振込の状況');
  const status = await page.locator('main').innerText();
  t.match(status, /振込ステータス: 申請中/);
  t.match(status, '5,000円');
  t.match(status, '未完了（承認待ち）');
  await shot(page, 'transfer-04-status');

  t.same(offNetwork, [], 'the browser never left loopback');
  t.same(consoleErrors, [], 'no console errors (CSP violations included)');
  await context.close();
});
