import type { Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, newContext, screenshotPath } from '../helpers/browser.ts';
import { startDemoServer } from '../integration/demo/demo-server.ts';

/**
 * The partner demo かんたん家計簿 (DESIGN §9, §12) in a real browser: a newcomer opens /demo, presses
 * 口座を連携する, walks the bank's journey by its visible labels, and lands on the linked accounts,
 * then a statement. Screenshots demo-01 … demo-04 in test-artifacts/screenshots/. Loopback only.
 */
t.setTimeout(240_000);

const server = await startDemoServer(t);
const browser = await launchBrowser(t);

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const shot = async (page: Page, name: string) => page.screenshot({ path: await screenshotPath(name), fullPage: true });

t.test('口座を連携する → the bank’s journey → accounts and balances → statements → 連携を解除する', async (t) => {
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

  await page.goto(`${server.issuer}/`);
  await page.getByRole('link', { name: 'デモ: かんたん家計簿', exact: true }).click();
  await heading(page, '銀行口座をつないで、家計簿を自動で');
  await shot(page, 'demo-01-landing');
  await button(page, '口座を連携する').click();

  await heading(page, 'API連携認証（利用登録）');
  t.match(await page.content(), 'かんたん家計簿（株式会社 入出金情報提供）', 'the bank names the partner');
  await page.getByLabel('ログインID', { exact: true }).fill('1000000002');
  await page.getByLabel('ログインパスワード', { exact: true }).fill('User1pass2024');
  await button(page, 'API連携').click();
  await heading(page, 'API連携認証（認可業務選択）');
  await button(page, '次へ').click();
  await heading(page, 'API連携認証（照会用暗証番号登録）');
  for (const [account, pin] of [['1000088', '7392'], ['1000658', '5816']] as const) {
    await page.getByRole('radio', { name: account }).check();
    await page.getByLabel('照会用暗証番号', { exact: true }).fill(pin);
    await button(page, '登録').click();
    await heading(page, 'API連携認証（照会用暗証番号登録結果）');
    if (account === '1000088') await page.getByRole('link', { name: '照会用暗証番号の追加登録', exact: true }).click();
  }
  await button(page, '確定').click();
  await heading(page, 'API連携認証（情報アクセス許可）');
  await shot(page, 'demo-02-consent');
  await page.getByLabel('許可手続きを継続する', { exact: true }).check();
  await button(page, '許可').click();

  await heading(page, '連携中の口座');
  t.equal(new URL(page.url()).pathname, '/demo/accounts');
  const cards = page.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2 }) });
  t.equal(await cards.count(), 2, 'the two accounts user 1 linked');
  const text = await page.locator('main').innerText();
  t.match(text, /法人営業部（101） 普通預金（有利息） 1000088/);
  t.match(text, /残高\s+[\d,]+円/, 'with balances in yen');
  await shot(page, 'demo-03-accounts');

  await page.getByRole('link', { name: /入出金明細を見る.*1000088/ }).click();
  await heading(page, '入出金明細');
  t.match(await page.locator('main').innerText(), /2026-10-22 〜 2026-11-20/);
  t.ok(await page.getByRole('table').getByRole('row').count() > 10, 'statement lines');
  await shot(page, 'demo-04-statements');

  await page.getByRole('link', { name: '連携中の口座へ戻る' }).click();
  await button(page, '連携を解除する').click();
  await heading(page, '口座の連携を解除しました');
  t.same(offNetwork, [], 'the browser never left loopback');
  t.same(consoleErrors, [], 'no console errors (CSP violations included)');
  await context.close();
});
