import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { startDemoServer } from '../../integration/demo/demo-server.ts';

/**
 * 振込 end to end (DESIGN §17) in a real browser (Debian's chromium): the demo partner かんたん家計簿 is
 * linked by the master of 青空商事 with the 利用業務 振込, asks for a transfer of 12,345 yen from 1000088 to
 * the demo beneficiary in this bank (青空 花子, 本店営業部 普通 2000123) and shows it 申請中; user 2 (group
 * 振込, 承認 あり) finds it in 申請・承認一覧, mistypes the 取引パスワード, then approves; the partner sees it
 * 手続済, and the statements and balances of both accounts show the debit and the credit. A second request
 * is returned (差戻). Screenshots transfers-*.png in test-artifacts/screenshots/. Loopback only.
 */
t.setTimeout(300_000);

const server = await startDemoServer(t);
const { db } = server.database;
const browser = await launchBrowser(t);

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  shots.push(`${name}.png`);
}
t.teardown(() => {
  if (shots.length) console.error(`# screenshots in test-artifacts/screenshots/: ${shots.join(', ')}`);
});

const yen = async (accountNumber: string) => {
  const a = await db.selectFrom('accounts').select(['balance', 'withdrawable_amount']).where('account_number', '=', accountNumber).executeTakeFirstOrThrow();
  return { balance: BigInt(a.balance.split('.')[0]!), withdrawable: BigInt(a.withdrawable_amount.split('.')[0]!) };
};
const grouped = (n: bigint) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

async function newPage(b: Browser): Promise<Page> {
  const context = await newContext(b);
  context.setDefaultTimeout(90_000);
  await context.route((url) => url.hostname !== 'localhost' && url.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  return context.newPage();
}

async function ibLogin(b: Browser, loginId: string, password: string): Promise<Page> {
  const page = await newPage(b);
  await page.goto(`${server.issuer}/ib/login`);
  await page.getByLabel('ログインID').fill(loginId);
  await page.getByLabel('ログインパスワード').fill(password);
  await button(page, 'ログイン').click();
  await heading(page, 'ホーム');
  return page;
}

/** The demo partner's transfer form, filled for the demo beneficiary (its defaults) with the amount given. */
async function requestTransfer(partner: Page, amount: string): Promise<string> {
  await partner.goto(`${server.issuer}/demo/transfer`);
  await heading(partner, '振込を依頼する');
  // The option's wording is the partner's own: the account is picked by its number.
  const value = await partner.locator('#accountId option', { hasText: '1000088' }).getAttribute('value');
  await partner.getByLabel('引落口座').selectOption(value!);
  await partner.getByLabel('振込金額（円）').fill(amount);
  await button(partner, '振込を依頼する').click();
  await heading(partner, '振込の状況');
  return (await partner.locator('code').first().innerText()).trim();
}

t.test('partner requests → user 2 approves in 申請・承認一覧 → debit and credit in statements and balances', async (t) => {
  const [from0, to0] = [await yen('1000088'), await yen('2000123')];

  // The partner app, linked by the master with 振込 among the 利用業務.
  const partner = await newPage(browser);
  await partner.goto(`${server.issuer}/demo`);
  await button(partner, '口座を連携する').click();
  await heading(partner, 'API連携認証（利用登録）');
  await partner.getByLabel('ログインID', { exact: true }).fill('1000000001');
  await partner.getByLabel('ログインパスワード', { exact: true }).fill('Aozora2024');
  await button(partner, 'API連携').click();
  await heading(partner, 'API連携認証（認可業務選択）');
  const transfers = partner.getByRole('checkbox', { name: '振込' });
  t.ok(await transfers.isChecked(), '振込 is offered as a 利用業務');
  await button(partner, '次へ').click();
  await heading(partner, 'API連携認証（照会用暗証番号登録）');
  await partner.getByRole('radio', { name: '1000088' }).check();
  await partner.getByLabel('照会用暗証番号', { exact: true }).fill('7392');
  await button(partner, '登録').click();
  await heading(partner, 'API連携認証（照会用暗証番号登録結果）');
  await button(partner, '確定').click();
  await heading(partner, 'API連携認証（情報アクセス許可）');
  await partner.getByLabel('許可手続きを継続する', { exact: true }).check();
  await button(partner, '許可').click();
  await heading(partner, '連携中の口座');

  const applyNo = await requestTransfer(partner, '12345');
  t.match(applyNo, /^\d{16}$/, 'the bank\'s 申請番号');
  t.equal(await partner.locator('#transfer-status').innerText(), '申請中');
  await shot(partner, 'transfers-01-partner-requested');
  t.same(await yen('1000088'), from0, 'nothing is debited before the approval');

  // User 2 (承認 あり 10,000,000 / 1,000,000, 振込・振替 on 1000088) approves.
  const approver = await ibLogin(browser, '1000000003', 'User2pass2024');
  await approver.getByRole('navigation').getByRole('link', { name: '申請・承認一覧', exact: true }).click();
  await heading(approver, '申請・承認一覧');
  const row = approver.locator('#applications tbody tr', { hasText: applyNo });
  const line = (await row.innerText()).replace(/\s+/g, ' ');
  for (const s of ['申請中', '青空 太郎（1000000001）', '法人営業部 普通 1000088', 'れんけい銀行 支店コード 100 普通 2000123', 'ｱｵｿﾞﾗ ﾊﾅｺ', '12,345円', 'かんたん家計簿', '株式会社 入出金情報提供']) {
    t.match(line, s, `the line shows ${s}`);
  }
  await shot(approver, 'transfers-02-approvals-list');
  await row.getByRole('link', { name: '詳細' }).click();
  await heading(approver, '申請内容確認');
  t.match(await approver.locator('#items').innerText(), '12,345円');
  await shot(approver, 'transfers-03-approval-detail');

  await approver.getByLabel('取引パスワード').fill('Wrong2024');
  await button(approver, '承認').click();
  await heading(approver, '申請内容確認');
  t.match(await approver.getByRole('alert').innerText(), '取引パスワードが正しくありません。');
  await shot(approver, 'transfers-04-wrong-transaction-password');

  await approver.getByLabel('取引パスワード').fill('User2tx2024');
  await button(approver, '承認').click();
  await heading(approver, '承認完了');
  t.match(await approver.getByRole('status').innerText(), '申請を承認し、振込を実行しました。');
  t.match(await approver.locator('#application-status').innerText(), '手続済');
  await shot(approver, 'transfers-05-approved');

  // Balances: the debit of 12,345 yen (no fee within the bank) and the beneficiary's credit, once.
  const [from1, to1] = [await yen('1000088'), await yen('2000123')];
  t.equal(from1.balance, from0.balance - 12345n, '1000088 is debited');
  t.equal(from1.withdrawable, from0.withdrawable - 12345n);
  t.equal(to1.balance, to0.balance + 12345n, '2000123 is credited');

  // The partner sees it done, and reads the new balance through the API.
  await partner.getByRole('link', { name: '最新の状況に更新' }).click();
  await heading(partner, '振込の状況');
  t.equal(await partner.locator('#transfer-status').innerText(), '手続済');
  await shot(partner, 'transfers-06-partner-executed');
  await partner.getByRole('link', { name: '連携中の口座へ戻る' }).click();
  await heading(partner, '連携中の口座');
  t.match(await partner.locator('main').innerText(), `${grouped(from1.balance)}円`, 'the partner\'s balance (API) shows the debit');

  // Internet banking: the debit in 1000088's statement and balance.
  await approver.goto(`${server.issuer}/ib/accounts/101011000088/statements`);
  await heading(approver, '入出金明細');
  const debit = approver.locator('tbody tr').first();
  const debitText = (await debit.innerText()).replace(/\s+/g, ' ');
  t.match(debitText, '12,345円', 'the newest line is the transfer');
  t.match(debitText, /ﾌﾘｺﾐ|フリコミ|振込/, 'with 振込 remarks');
  t.match(debitText, `${grouped(from1.balance)}円`, 'and the balance after it');
  await shot(approver, 'transfers-07-debit-statement');
  await approver.goto(`${server.issuer}/ib/accounts/101011000088`);
  t.match(await approver.locator('main').innerText(), `${grouped(from1.balance)}円`);

  // 青空 花子 sees the credit.
  const hanako = await ibLogin(browser, '2000000001', 'Hanako2024');
  await hanako.goto(`${server.issuer}/ib/accounts/100012000123/statements`);
  await heading(hanako, '入出金明細');
  const credit = (await hanako.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
  t.match(credit, '12,345円', 'the newest line is the credit');
  t.match(credit, `${grouped(to1.balance)}円`);
  await shot(hanako, 'transfers-08-credit-statement');
  await hanako.goto(`${server.issuer}/ib/`);
  t.match(await hanako.locator('main').innerText(), `${grouped(to1.balance)}円`, 'her home shows the new balance');

  // A second request is returned (差戻): nothing moves, the partner sees 差戻.
  const second = await requestTransfer(partner, '2000');
  await approver.goto(`${server.issuer}/ib/approvals?status=pending`);
  await approver.locator('#applications tbody tr', { hasText: second }).getByRole('link', { name: '詳細' }).click();
  await heading(approver, '申請内容確認');
  await approver.getByLabel('コメント').fill('振込先をご確認ください');
  await approver.getByLabel('取引パスワード').fill('User2tx2024');
  await button(approver, '差戻').click();
  await heading(approver, '差戻完了');
  await shot(approver, 'transfers-09-returned');
  await partner.getByRole('link', { name: '最新の状況に更新' }).click();
  t.equal(await partner.locator('#transfer-status').innerText(), '差戻');
  t.same(await yen('1000088'), from1, 'a returned transfer debits nothing');

  await approver.goto(`${server.issuer}/ib/approvals`);
  await heading(approver, '申請・承認一覧');
  await shot(approver, 'transfers-10-approvals-after');
  await approver.goto(`${server.issuer}/ib/approvals?lang=en`);
  await heading(approver, 'Applications and approvals');
  await shot(approver, 'transfers-11-approvals-en');
  await approver.goto(`${server.issuer}/ib/approvals?lang=ja`);

  // The master, requester of both, is told by mail of each outcome (the dev outbox: no SMTP here).
  const master = await db.selectFrom('users').select('email').where('login_id', '=', '1000000001').executeTakeFirstOrThrow();
  const subjects = (await db.selectFrom('mail_outbox').select('subject').where('to_address', '=', master.email).execute()).map((m) => m.subject);
  t.ok(subjects.includes('【れんけい銀行】振込が完了しました'));
  t.ok(subjects.includes('【れんけい銀行】振込申請が差戻されました'));
});
