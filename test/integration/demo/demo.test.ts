import { stat } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair, exportJWK } from 'jose';
import t from 'tap';
import { DEMO_CLIENT_ID, DEMO_PARTNER_NAMES, ensureDemoClient, loadOrCreateDemoClientKey } from '../../../src/demo/demo-client.ts';
import { partnerBrandOf } from '../../../src/demo/demo-partner.ts';
import { DEMO_PARTNER } from '../../../src/db/seed/demo-data.ts';
import { findPartnerByNames } from '../../../src/partners/partners.repository.ts';
import { formatAmount } from '../../../src/demo/demo-pages.ts';
import { DemoSessions } from '../../../src/demo/demo-sessions.ts';
import { buildApp } from '../../../src/app.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { TEST_SECRETS } from '../../helpers/build-app.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { startDemoServer } from './demo-server.ts';

const server = await startDemoServer(t);
const { db } = server.database;

/** From the demo's landing page through the bank's journey back to the demo (DESIGN §6 steps 1–5). */
async function link(b: JourneyDriver, opts: { registerPins: boolean; decision: 'allow' | 'deny' }) {
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: b.csrf });
  if (b.title !== 'API連携認証（利用登録）') throw new Error(`expected the login page, got ${b.status} ${b.title}\n${b.html.slice(0, 400)}`);
  await b.post('login', { login_id: '1000000002', password: 'User1pass2024' });
  await b.post('business', { scope: ['balances', 'transactions'] });
  if (opts.registerPins) {
    await b.post('pin', { account_id: b.values('account_id')[0]!, pin: '7392' });
    await b.go('GET', `/interaction/${b.uid}`);
    await b.post('pin', { account_id: b.values('account_id')[0]!, pin: '5816' });
    await b.post('pin/confirm', {});
  }
  if (String(b.title) !== 'API連携認証（情報アクセス許可）') throw new Error(`expected the permission page, got ${b.title}`);
  return b.post('consent', opts.decision === 'allow' ? { decision: 'allow', continue: 'on' } : { decision: 'deny' });
}

t.test('the demo client is registered for the demo partner, its key kept in DATA_DIR (0600)', async (t) => {
  const row = await db.selectFrom('oauth_clients as c').innerJoin('partners as p', 'p.id', 'c.partner_id')
    .select(['c.metadata', 'c.allowed_scopes', 'c.show_business_selection', 'p.service_name']).where('c.client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  t.equal(row.service_name, 'かんたん家計簿');
  t.same(row.allowed_scopes, ['openid', 'offline_access', 'balances', 'transactions', 'transfers']);
  t.equal(row.show_business_selection, true);
  const md = row.metadata as Record<string, unknown>;
  t.same(md.redirect_uris, [`${server.issuer}/demo/callback`]);
  t.equal(md.token_endpoint_auth_method, 'private_key_jwt');
  t.equal(md.dpop_bound_access_tokens, true);
  const file = path.join(server.keyDir, 'demo-client-key.json');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the private key file is readable by its owner only');
  const again = await loadOrCreateDemoClientKey(server.keyDir);
  t.equal(again.kid, (md.jwks as { keys: { kid: string }[] }).keys[0]!.kid, 'a restart reuses the kept key');
});

t.test('the demo finds its partner in the bank’s data, and shows the names the bank registered', async (t) => {
  t.same(DEMO_PARTNER_NAMES, { legalName: DEMO_PARTNER.legalName, serviceName: DEMO_PARTNER.serviceName }, 'the partner the seed registers');
  const partner = await findPartnerByNames(db, DEMO_PARTNER_NAMES);
  t.match(partner, { legalName: DEMO_PARTNER.legalName, serviceName: DEMO_PARTNER.serviceName, websiteUrl: DEMO_PARTNER.websiteUrl });
  t.equal(await findPartnerByNames(db, { ...DEMO_PARTNER_NAMES, serviceName: 'ほかの家計簿' }), undefined, 'both names must match');

  const brand = partnerBrandOf(db, DEMO_CLIENT_ID);
  t.same(await brand(), { legalName: partner!.legalName, serviceName: partner!.serviceName, websiteUrl: partner!.websiteUrl });
  await db.updateTable('partners').set({ status: 'suspended' }).where('id', '=', partner!.id).execute();
  try {
    t.equal(await findPartnerByNames(db, DEMO_PARTNER_NAMES), undefined, 'a suspended partner is not found');
    t.same(await brand(), { legalName: partner!.legalName, serviceName: partner!.serviceName, websiteUrl: partner!.websiteUrl }, 'the names are kept once read');
    t.equal(await partnerBrandOf(db, DEMO_CLIENT_ID)(), undefined, 'nothing to show while the partner is suspended');
    await t.rejects(ensureDemoClient(db, server.config, await loadOrCreateDemoClientKey(server.keyDir)), /demo partner is missing or suspended/);
  } finally {
    await db.updateTable('partners').set({ status: 'active' }).where('id', '=', partner!.id).execute();
  }

  const b = new JourneyDriver(server);
  await b.go('GET', '/demo');
  t.match(b.html, `<strong>${partner!.serviceName}</strong> <span class="kakeibo-by">（${partner!.legalName}）</span>`, 'the header names the partner');
});

t.test('a new key replaces the registered JWKS; an unchanged one leaves the row alone', async (t) => {
  const before = await db.selectFrom('oauth_clients').select(['metadata', 'updated_at']).where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  const kept = await loadOrCreateDemoClientKey(server.keyDir);
  await ensureDemoClient(db, server.config, kept);
  const same = await db.selectFrom('oauth_clients').select(['updated_at']).where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  t.same(same.updated_at, before.updated_at, 'no write when nothing changed');
  const pair = await generateKeyPair('ES256', { extractable: true });
  await ensureDemoClient(db, server.config, { kid: 'other', privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) });
  const changed = await db.selectFrom('oauth_clients').select('metadata').where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  t.equal((changed.metadata as { jwks: { keys: { kid: string }[] } }).jwks.keys[0]!.kid, 'other');
  await ensureDemoClient(db, server.config, kept); // back, for the journeys below
});

t.test('口座を連携する → journey → accounts and balances → statements with paging → 連携を解除する', async (t) => {
  const b = new JourneyDriver(server);
  await b.go('GET', '/demo');
  t.equal(b.status, 200);
  t.match(b.html, '口座を連携する');
  t.match(b.html, 'かんたん家計簿');
  t.notMatch(b.html, /<script|style=/, 'no script, no inline style');

  const left = await link(b, { registerPins: true, decision: 'allow' });
  t.equal(left, undefined, 'the whole flow stays on this origin: the demo is its own redirect URI');
  t.equal(b.status, 200);
  t.equal(new URL(b.url).pathname, '/demo/accounts');
  t.equal(b.title, '連携中の口座');
  const accounts = await db.selectFrom('accounts').select(['account_number', 'balance', 'currency', 'branch_code', 'account_type_code']).where('account_number', 'in', ['1000088', '1000658']).execute();
  for (const a of accounts) {
    t.match(b.html, a.account_number, `account ${a.account_number} is listed`);
    t.match(b.html, formatAmount(a.balance.replace(/\.0+$/, ''), a.currency), `with its balance ${a.balance}`);
  }
  t.notMatch(b.html, '1000771', 'accounts the user may not see are not listed');
  const grant = await db.selectFrom('grants').innerJoin('oauth_clients as c', 'c.client_id', 'grants.client_id')
    .select(['grants.id', 'grants.scopes', 'grants.revoked_at']).where('grants.client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  t.same([...grant.scopes].sort(), ['balances', 'offline_access', 'transactions']);

  // Statements: the default is the last 30 days ending on the newest line (the seeding day).
  const main = accounts.find((a) => a.account_number === '1000088')!;
  const accountId = `${main.branch_code}${main.account_type_code}${main.account_number}`;
  t.match(b.html, `/demo/accounts/${accountId}/transactions`);
  await b.go('GET', `/demo/accounts/${accountId}/transactions`);
  t.equal(b.status, 200);
  t.equal(b.title, '入出金明細');
  t.match(b.html, '2026-10-22 〜 2026-11-20', 'thirty days ending on the newest line');
  const inWindow = await db.selectFrom('transactions').innerJoin('accounts', 'accounts.id', 'transactions.account_id')
    .select((eb) => eb.fn.countAll<string>().as('n')).where('accounts.account_number', '=', '1000088')
    .where('transaction_date', '>=', '2026-10-22').where('transaction_date', '<=', '2026-11-20').executeTakeFirstOrThrow();
  t.match(b.html, `${Number(inWindow.n)}件`);
  t.equal((b.html.match(/<tr><td>2026-/g) ?? []).length, Math.min(500, Number(inWindow.n)), 'one row per statement line');

  // Paging: more lines than one API page (500). Append 520 small lines to the 追加口座 on the
  // newest day (the database only lets lines be appended, with a running balance that adds up).
  const sub = await db.selectFrom('accounts').select(['id', 'branch_code', 'account_type_code', 'account_number']).where('account_number', '=', '1000658').executeTakeFirstOrThrow();
  const last = await db.selectFrom('transactions').select(['item_key', 'transaction_date', 'balance_after']).where('account_id', '=', sub.id).orderBy('item_key', 'desc').limit(1).executeTakeFirstOrThrow();
  t.equal(last.transaction_date, '2026-11-20');
  let balance = Number(last.balance_after);
  await db.insertInto('transactions').values(Array.from({ length: 520 }, (_, i) => {
    const credit = i % 2 === 0;
    balance += credit ? 100 : -100;
    return { account_id: sub.id, item_key: String(BigInt(last.item_key) + BigInt(i + 1)), transaction_date: '2026-11-20', value_date: '2026-11-20',
      transaction_type: credit ? 1 : 2, amount: '100', balance_after: String(balance), remarks: credit ? 'ﾃｽﾄ ﾆｭｳｷﾝ' : 'ﾃｽﾄ ｼｭｯｷﾝ' };
  })).execute();
  const subId = `${sub.branch_code}${sub.account_type_code}${sub.account_number}`;
  const subTotal = await db.selectFrom('transactions').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', sub.id)
    .where('transaction_date', '>=', '2026-10-22').executeTakeFirstOrThrow();
  await b.go('GET', `/demo/accounts/${subId}/transactions`);
  t.equal(b.status, 200);
  t.match(b.html, '500件（続きあり）', 'the first page is one full API page');
  const next = /<a href="([^"]+)" rel="next">次へ<\/a>/.exec(b.html);
  t.ok(next, '次へ when there is more');
  t.match(next![1], /nextItemKey=\d+/);
  await b.go('GET', next![1]!.replaceAll('&amp;', '&'));
  t.equal(b.status, 200);
  t.match(b.html, `${Number(subTotal.n) - 500}件`, 'the second page has the rest');
  t.notMatch(b.html, 'rel="next"', 'and no 次へ');
  t.match(b.html, '最初のページ');
  await b.go('GET', `/demo/accounts/${accountId}/transactions?dateFrom=bad`);
  t.equal(b.status, 400, 'bad parameters are refused with a page, not a 500');
  await b.go('GET', '/demo/accounts/100010000771/transactions');
  t.equal(b.status, 403, 'an account outside the grant: the API’s account_forbidden shown');
  t.match(b.html, 'account_forbidden');
  for (const bad of [
    `/demo/accounts/${accountId}/transactions?dateFrom=2026-02-30`,
    `/demo/accounts/${accountId}/transactions?dateTo=2026-11-20&dateTo=2026-11-21`,
    `/demo/accounts/${accountId}/transactions?nextItemKey=abc`,
    `/demo/accounts/${accountId}/transactions?dateFrom=2026-11-01%00`,
    '/demo/accounts/12345/transactions',
    '/demo/accounts/1000100007710/transactions',
  ]) {
    await b.go('GET', bad);
    t.equal(b.status, 400, `${bad}: refused`);
    t.equal(b.title, '入出金明細', 'with the demo’s page, not raw JSON');
    t.match(b.html, 'invalid_parameter');
    t.match(b.html, '指定された条件が正しくありません。');
  }

  // 連携を解除する without this session's token is refused, and the link stays.
  const foreign = new JourneyDriver(server);
  await foreign.go('GET', '/demo');
  for (const [why, form] of [['no token', {}], ['a forged token', { _csrf: 'forged' }], ['another browser’s token', { _csrf: foreign.csrf }]] as const) {
    await b.go('POST', '/demo/revoke', form);
    t.equal(b.status, 401, `revoke with ${why}: refused`);
    t.equal(b.title, 'セッションの有効期限が切れました');
  }
  t.notOk((await db.selectFrom('grants').select('revoked_at').where('id', '=', grant.id).executeTakeFirstOrThrow()).revoked_at, 'the grant is not revoked');
  await b.go('GET', '/demo/accounts');
  t.equal(b.status, 200, 'and the session is still linked');

  // 連携を解除する revokes the refresh token: the bank's grant ends.
  await b.go('GET', '/demo/accounts');
  await b.go('POST', '/demo/revoke', { _csrf: b.csrf });
  t.equal(b.status, 200);
  t.equal(b.title, '口座の連携を解除しました');
  const ended = await db.selectFrom('grants').select(['revoked_at', 'revoked_by']).where('id', '=', grant.id).executeTakeFirstOrThrow();
  t.ok(ended.revoked_at, 'the grant is revoked');
  t.equal(ended.revoked_by, 'client');
  await b.go('GET', '/demo/accounts');
  t.equal(b.status, 401, 'the session is gone');
  t.equal(b.title, 'セッションの有効期限が切れました');
});

t.test('拒否 on the permission screen: the demo explains access_denied', async (t) => {
  const b = new JourneyDriver(server);
  const left = await link(b, { registerPins: false, decision: 'deny' });
  t.equal(left, undefined);
  t.equal(new URL(b.url).pathname, '/demo/callback');
  t.equal(b.status, 200);
  t.equal(b.title, '口座の連携が許可されませんでした');
  t.match(b.html, 'access_denied');
  await b.go('GET', '/demo/accounts');
  t.equal(b.status, 401, 'nothing was linked');
});

t.test('expired or forged requests get clear pages, never a 500', async (t) => {
  const b = new JourneyDriver(server);
  await b.go('GET', '/demo/accounts');
  t.equal(b.status, 401);
  t.equal(b.title, 'セッションの有効期限が切れました');
  await b.go('GET', '/demo/callback?code=abc&state=xyz');
  t.equal(b.status, 401, 'a callback without a started session');
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: 'forged' });
  t.equal(b.status, 401, 'a start without the page’s CSRF token');
  t.equal(b.title, 'セッションの有効期限が切れました');
  await b.go('POST', '/demo/start', {});
  t.equal(b.status, 401, 'a start without any CSRF token');
  t.equal(b.title, 'セッションの有効期限が切れました');

  // A started session whose callback carries another state: refused, and the code is not exchanged.
  await b.go('GET', '/demo');
  const r = await b.request('POST', '/demo/start', { _csrf: b.csrf });
  t.equal(r.status, 303);
  const authorize = new URL(r.location!);
  t.equal(authorize.pathname, '/oauth2/authorize');
  t.same([...authorize.searchParams.keys()].sort(), ['client_id', 'request_uri'], 'PAR happened server-side: only client_id and request_uri in the URL');
  t.match(authorize.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
  await b.go('GET', `/demo/callback?code=abc&state=wrong&iss=${encodeURIComponent(server.issuer)}`);
  t.equal(b.status, 400);
  t.equal(b.title, '口座を連携できませんでした');
  await b.go('GET', `/demo/callback?code=abc&state=wrong&iss=${encodeURIComponent(server.issuer)}`);
  t.equal(b.status, 401, 'one attempt per start');
});

t.test('a form token works only in the session that rendered it (shared/csrf.ts bound to the demo session)', async (t) => {
  const a = new JourneyDriver(server);
  await a.go('GET', '/demo');
  const tokenOfA = a.csrf;
  t.ok(a.jar.get('kakeibo_csrf'), 'the secret cookie is set with the first form');

  // Another browser: its own cookies, A's token.
  const b = new JourneyDriver(server);
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: tokenOfA });
  t.equal(b.status, 401, 'a token of another browser is refused');
  t.equal(b.title, 'セッションの有効期限が切れました');

  // The same browser's CSRF secret but another demo session: the token is bound to A's session.
  const c = new JourneyDriver(server);
  c.jar.set('kakeibo_csrf', a.jar.get('kakeibo_csrf')!);
  await c.go('GET', '/demo');
  t.not(c.jar.get('kakeibo_session')!.value, a.jar.get('kakeibo_session')!.value, 'a session of its own');
  await c.go('POST', '/demo/start', { _csrf: tokenOfA });
  t.equal(c.status, 401, 'a token of another session is refused, even with the same secret');
  await c.go('GET', '/demo');
  const own = await c.request('POST', '/demo/start', { _csrf: c.csrf });
  t.equal(own.status, 303, 'while the session’s own token is accepted');

  // The secret cookie missing: refused the same way.
  const d = new JourneyDriver(server);
  await d.go('GET', '/demo');
  const token = d.csrf;
  d.jar.delete('kakeibo_csrf');
  await d.go('POST', '/demo/start', { _csrf: token });
  t.equal(d.status, 401, 'no secret cookie: refused');

  // The session gone (as after 連携を解除する or its expiry): its old form is refused.
  const e = new JourneyDriver(server);
  await e.go('GET', '/demo');
  const stale = e.csrf;
  e.jar.delete('kakeibo_session');
  await e.go('POST', '/demo/start', { _csrf: stale });
  t.equal(e.status, 401, 'a token of an ended session is refused');
});

t.test('a malformed authorization response gets the demo’s page and ends the attempt', async (t) => {
  const b = new JourneyDriver(server);
  await b.go('GET', '/demo');
  const r = await b.request('POST', '/demo/start', { _csrf: b.csrf });
  t.equal(r.status, 303);
  await b.go('GET', '/demo/callback?code=abc&state=one&state=two');
  t.equal(b.status, 400);
  t.equal(b.title, '口座を連携できませんでした');
  t.match(b.html, 'invalid_response');
  await b.go('GET', `/demo/callback?code=abc&state=one&iss=${encodeURIComponent(server.issuer)}`);
  t.equal(b.status, 401, 'one attempt per start');
});

t.test('the bank unreachable (a certificate the demo does not trust): a 502 page, not a 500', async (t) => {
  const stranger = await generateSelfSigned(['localhost']);
  const app = await buildApp({ config: server.config, db, logger: createLogger('silent'), secrets: TEST_SECRETS, provider: server.provider },
    { listener: 'main', demo: { serverCertificate: stranger.cert, keyDir: server.keyDir } });
  t.teardown(() => app.close());
  const landing = await app.inject({ method: 'GET', url: '/demo' });
  const session = landing.cookies.find((c) => c.name === 'kakeibo_session');
  t.ok(session, 'a session cookie');
  t.equal(session!.httpOnly, true);
  t.equal(session!.secure, true);
  t.equal(session!.path, '/demo');
  const secret = landing.cookies.find((c) => c.name === 'kakeibo_csrf');
  t.ok(secret, 'the CSRF secret cookie');
  t.equal(secret!.httpOnly, true);
  t.equal(secret!.secure, true);
  t.equal(secret!.path, '/demo');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(landing.body)![1]!;
  const r = await app.inject({ method: 'POST', url: '/demo/start', cookies: { kakeibo_session: session!.value, kakeibo_csrf: secret!.value }, payload: `_csrf=${encodeURIComponent(csrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(r.statusCode, 502);
  t.match(r.body, 'bank_unavailable');
  t.match(r.body, '銀行に接続できませんでした');
});

t.test('the landing page links to the demo first (DESIGN §12)', async (t) => {
  const b = new JourneyDriver(server);
  await b.go('GET', '/');
  const first = /<li class="card">\s*<a href="([^"]+)">([^<]+)<\/a>/.exec(b.html);
  t.equal(first?.[1], '/demo');
  t.equal(first?.[2], 'デモ: かんたん家計簿');
});

t.test('formatAmount and the session store', async (t) => {
  t.equal(formatAmount('1234567', 'JPY'), '1,234,567円');
  t.equal(formatAmount('-1000', 'JPY'), '-1,000円');
  t.equal(formatAmount('12345.50', 'USD'), '12,345.50 USD');
  const s = new DemoSessions({ ttlMs: 60_000, max: 2 });
  const a = s.create();
  s.create();
  s.create();
  t.equal(s.size, 2, 'capped');
  t.equal(s.get(a.id), undefined, 'the oldest was evicted');
  t.equal(s.get(undefined), undefined);
  const expired = new DemoSessions({ ttlMs: -1 });
  t.equal(expired.get(expired.create().id), undefined, 'expired sessions are gone');
});
