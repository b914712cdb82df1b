import * as oauth from 'oauth4webapi';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { launchBrowser, newContext, screenshotPath } from '../../helpers/browser.ts';
import { completeJourney, refreshError, USERS } from '../../helpers/fapi.ts';
import { insertTestClient, type TestClient } from '../../helpers/oauth-client.ts';

/**
 * The life of a link (DESIGN §15) end to end: a partner app runs the consent journey with a real OAuth
 * client library (oauth4webapi: PAR, private_key_jwt, DPoP, PKCE) and reads the API; the holder finds the
 * link in API連携サービスの利用状況 in a real browser (Debian's chromium) with its dates, ends it through
 * 連携解除 → 連携解除の確認 → 解除する, and the partner's next API call is 401 invalid_token and its refresh
 * invalid_grant. Then an administrator ends a member's link, and ログイン・操作履歴 shows who did.
 */
t.setTimeout(240_000);

const server = await startAuthServer(t);
const { db } = server.database;
const browser = await launchBrowser(t);

const shots: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  shots.push(`${name}.png`);
}
t.teardown(() => {
  if (shots.length) console.error(`# screenshots in test-artifacts/screenshots/: ${shots.join(', ')}`);
});

/** A client of the demo partner with its own registered name (two apps of one company must be told apart). */
async function clientNamed(name: string): Promise<TestClient> {
  const tc = await insertTestClient(db, { showBusinessSelection: false });
  const row = await db.selectFrom('oauth_clients').select('metadata').where('client_id', '=', tc.clientId).executeTakeFirstOrThrow();
  await db.updateTable('oauth_clients').set({ metadata: JSON.stringify({ ...row.metadata, client_name: name }) }).where('client_id', '=', tc.clientId).execute();
  return tc;
}

const JST = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
function jst(at: Date) {
  const p = Object.fromEntries(JST.formatToParts(at).map((x) => [x.type, x.value]));
  return { day: `${p.year}/${p.month}/${p.day}`, minute: `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}`, second: `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}:${p.second}` };
}

async function logIn(b: Browser, user: { loginId: string; password: string }): Promise<Page> {
  const context = await newContext(b);
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  await page.goto(`${server.issuer}/ib/login`);
  await page.getByLabel('ログインID').fill(user.loginId);
  await page.getByLabel('ログインパスワード').fill(user.password);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  return page;
}

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true }).waitFor();

/**
 * The partner reads the accounts with its DPoP-bound token; the response, also when refused (oauth4webapi
 * throws on a 401 with a challenge, and keeps the response on the error).
 */
async function callApi(j: Awaited<ReturnType<typeof completeJourney>>): Promise<Response> {
  try {
    return await oauth.protectedResourceRequest(j.tokens.access_token, 'GET', new URL('/api/v1/accounts', server.issuer), new Headers(), null, { DPoP: j.c.DPoP, ...j.c.customFetch });
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) return err.response;
    throw err;
  }
}

t.test('青空 花子 tells her two apps apart, ends one, and the partner is cut off at once', async (t) => {
  const kakeibo = await clientNamed('かんたん家計簿');
  const keihi = await clientNamed('かんたん経費精算');
  const a = await completeJourney(server, kakeibo, USERS.hanako);
  const b = await completeJourney(server, keihi, USERS.hanako);
  t.equal((await callApi(a)).status, 200, 'the partner reads the API');
  t.equal((await callApi(b)).status, 200);

  const grantA = await db.selectFrom('grants').selectAll().where('client_id', '=', kakeibo.clientId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
  t.ok(grantA.last_used_at, 'the call was recorded as the last use');
  t.equal(grantA.expires_at.getTime() - grantA.granted_at.getTime(), 90 * 86_400_000, 'the client\'s 90-day period');

  const page = await logIn(browser, USERS.hanako);
  await page.getByRole('navigation').getByRole('link', { name: 'API連携サービスの利用状況' }).click();
  await heading(page, 'API連携サービスの利用状況');
  const rowA = page.locator('#active-links tbody tr', { hasText: 'かんたん家計簿' });
  const cells = (await rowA.getByRole('cell').allInnerTexts()).map((s) => s.replace(/[^\S\n]+/g, ' ').trim());
  const when = { start: jst(grantA.granted_at).day, expiry: jst(grantA.expires_at).minute, used: jst(grantA.last_used_at!).second };
  t.same(cells, ['かんたん家計簿\n連携解除', '株式会社 入出金情報提供', '残高照会\n入出金明細照会', '本店営業部 普通 2000123', when.start, when.expiry, when.used],
    '連携先サービス名, 提供会社名, 利用業務, 対象口座, 連携開始日, 有効期限 and 最終利用日時, in JST');
  t.equal(await page.locator('#active-links tbody tr').count(), 2, 'one row per link');
  t.equal(await page.locator('#active-links tbody tr', { hasText: 'かんたん経費精算' }).count(), 1, 'the other app by its own name');
  await shot(page, 'links-01-list');

  await rowA.getByRole('button', { name: '連携解除', exact: true }).click();
  await heading(page, '連携解除の確認');
  t.match(await page.locator('main').innerText(), 'かんたん家計簿');
  await shot(page, 'links-02-confirm');
  await page.getByRole('button', { name: '解除する', exact: true }).click();
  await heading(page, '連携解除完了');
  t.match(await page.locator('main').innerText(), 'ご本人による連携解除');
  await shot(page, 'links-03-done');

  const api = await callApi(a);
  t.equal(api.status, 401, 'the partner\'s next API call is refused');
  t.match(api.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  t.equal(((await api.json()) as { errorCode: string }).errorCode, 'invalid_token');
  t.equal(await refreshError(a.c, a.tokens.refresh_token!), 'invalid_grant', 'and its refresh is invalid_grant');
  t.equal((await callApi(b)).status, 200, 'the other app still works');

  await page.getByRole('link', { name: 'API連携サービスの利用状況へ' }).click();
  await heading(page, 'API連携サービスの利用状況');
  t.equal(await page.locator('#active-links tbody tr').count(), 1, 'one link left');
  const ended = await page.locator('#ended-links tbody tr', { hasText: 'かんたん家計簿' }).innerText();
  t.match(ended, 'ご本人による連携解除', 'listed under 終了した連携 with who ended it');
  await shot(page, 'links-04-ended');
  await page.context().close();
});

t.test('an administrator ends a member\'s link; ログイン・操作履歴 names the customer\'s user and who ended it', async (t) => {
  const tc = await clientNamed('かんたん会計');
  const j = await completeJourney(server, tc, USERS.user1);
  t.equal((await callApi(j)).status, 200);

  const admin = await logIn(browser, USERS.user3);
  await admin.goto(`${server.issuer}/ib/links`);
  await heading(admin, 'API連携サービスの利用状況');
  const row = admin.locator('#active-links tbody tr', { hasText: 'かんたん会計' });
  const userId = await row.getAttribute('data-user');
  const group = admin.locator('#active-links tr.link-user').first();
  t.match(await group.innerText(), 'ユーザー: 佐藤 美咲（1000000002）', 'the member\'s links are under their name');
  t.equal(userId, (await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow()).id);
  await shot(admin, 'links-05-admin-list');
  await row.getByRole('button', { name: '連携解除', exact: true }).click();
  await heading(admin, '連携解除の確認');
  await admin.getByRole('button', { name: '解除する', exact: true }).click();
  await heading(admin, '連携解除完了');
  t.match(await admin.locator('main').innerText(), '管理者による連携解除');
  t.equal((await callApi(j)).status, 401, 'the partner is cut off');
  t.equal(await refreshError(j.c, j.tokens.refresh_token!), 'invalid_grant');

  // The partner's own revocation (RFC 7009) is an ending too, seen by the customer.
  const other = await completeJourney(server, await clientNamed('かんたん請求書'), USERS.user1);
  const revoked = await oauth.revocationRequest(other.c.as, other.c.client, other.c.clientAuth, other.tokens.refresh_token!, { ...other.c.customFetch });
  await oauth.processRevocationResponse(revoked);
  t.equal((await callApi(other)).status, 401);

  const master = await logIn(browser, USERS.master);
  await master.goto(`${server.issuer}/ib/audit`);
  await heading(master, 'ログイン・操作履歴');
  const rows = master.locator('tr', { hasText: 'API連携の解除' });
  const texts = await rows.allInnerTexts();
  t.ok(texts.some((s) => s.includes('高橋 直子（1000000004）') && s.includes('佐藤 美咲（1000000002）') && s.includes('管理者')), 'the administrator\'s ending: actor, holder, who');
  t.ok(texts.some((s) => s.includes('佐藤 美咲（1000000002）') && s.includes('API連携先による解除')), 'the partner\'s ending reaches the customer\'s history');
  await shot(master, 'links-06-audit');

  const member = await logIn(browser, USERS.user1);
  await member.goto(`${server.issuer}/ib/links`);
  const endedText = await member.locator('#ended-links').innerText();
  t.match(endedText, '管理者による連携解除');
  t.match(endedText, '連携先サービスによる解除');
  await shot(member, 'links-07-member-ended');
});
