import t, { type Test } from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { accountByNumber, alertText, auditRows, grantsOf, login, preRegisterPins, startJourney, TITLES, unlockPin, USERS } from '../../helpers/fapi.ts';
import type { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;

/** 情報アクセス許可 (DESIGN §15 "Step 5 account choice" and "Who asks"). */
const LOCKED = '照会用暗証番号がロック中のため対象外です';
const UNREGISTERED = '照会用暗証番号が未登録のため対象外です';

async function lockPin(t: Test, accountNumber: string) {
  await db.updateTable('accounts').set({ pin_failed_count: 3, pin_locked_at: new Date() }).where('account_number', '=', accountNumber).execute();
  t.teardown(() => unlockPin(db, accountNumber));
}

/** The labels of the accounts offered as checkboxes, and of those listed as not included with their reason. */
function accountsOnPage(b: JourneyDriver) {
  const offered = [...b.html.matchAll(/<input type="checkbox" form="consent-form" name="account_id" id="(allow-acc-\d+)" value="([^"]+)"( checked)?[^>]*><label for="\1">([^<]*)<\/label>/g)]
    .map((m) => ({ id: m[2]!, ticked: Boolean(m[3]), label: m[4]! }));
  const excludedBlock = /class="excluded-accounts">([\s\S]*?)<\/div>/.exec(b.html)?.[1] ?? '';
  const excluded = [...excludedBlock.matchAll(/<li>([^<]*) — <span class="badge ng">([^<]*)<\/span><\/li>/g)].map((m) => ({ label: m[1]!, reason: m[2]! }));
  return { offered, excluded };
}

const numberOf = (label: string) => /(\d{7})\s*$/.exec(label.trim())?.[1];

async function toConsentAsMaster(tc: Awaited<ReturnType<typeof insertTestClient>>) {
  const { b } = await startJourney(server, tc);
  await login(b, USERS.master);
  if (b.title === TITLES.business) await b.post('business', { scope: b.values('scope') });
  if (b.title === TITLES.pin) await b.post('pin/confirm', {}); // 次へ with what is registered
  t.equal(b.title, TITLES.consent);
  return b;
}

t.test('step 5 lists the accounts as ticked checkboxes under 許可する口座, and those left out with the reason', async (t) => {
  const master = await db.selectFrom('users').select('id').where('login_id', '=', USERS.master.loginId).executeTakeFirstOrThrow();
  await db.deleteFrom('pin_registrations').where('user_id', '=', master.id).execute();
  await preRegisterPins(db, USERS.master.loginId, ['1000088', '1000658']);
  await lockPin(t, '1000771');
  const tc = await insertTestClient(db);
  const b = await toConsentAsMaster(tc);
  t.match(b.html, '許可する口座');
  const { offered, excluded } = accountsOnPage(b);
  t.same(offered.map((a) => numberOf(a.label)).sort(), ['1000088', '1000658'], 'the registered, unlocked accounts are offered');
  t.ok(offered.every((a) => a.ticked), 'all ticked by default');
  t.same(excluded.map((a) => [numberOf(a.label), a.reason]).sort(), [['1000771', LOCKED], ['1000995', UNREGISTERED]], 'the others, with the reason');

  // Only the ticked account is covered.
  const only = offered.find((a) => numberOf(a.label) === '1000658')!;
  const callback = await b.post('consent', { decision: 'allow', continue: 'on', account_id: [only.id] });
  t.ok(callback?.searchParams.get('code'), 'the client gets a code');
  const [grant] = await grantsOf(db, tc.clientId);
  const covered = await db.selectFrom('grant_accounts').select('account_id').where('grant_id', '=', grant!.id).execute();
  t.same(covered.map((c) => c.account_id), [only.id], 'the grant covers the ticked account only');
  const audited = (await auditRows(db, 'consent.granted')).filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.match(audited[0]!.details, { accounts: 1 });
});

t.test('none ticked is refused with a message, and the page keeps what was ticked', async (t) => {
  const tc = await insertTestClient(db);
  const b = await toConsentAsMaster(tc);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on', account_id: [] });
  t.equal(callback, undefined, 'not sent to the client');
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.consent);
  t.equal(alertText(b.html), '許可する口座を1つ以上選択してください。');
  t.ok(accountsOnPage(b).offered.every((a) => !a.ticked), 'nothing ticked, as sent');
  t.match(b.html, /name="account_id"[^>]*aria-invalid="true"/, 'the checkboxes are marked invalid');
  t.same(await grantsOf(db, tc.clientId), [], 'no grant');

  // An account the page did not offer (unregistered) does not count as ticked.
  const unregistered = await accountByNumber(db, '1000995');
  await b.post('consent', { decision: 'allow', continue: 'on', account_id: [unregistered.id] });
  t.equal(b.status, 400);
  t.equal(alertText(b.html), '許可する口座を1つ以上選択してください。');
  t.same(await grantsOf(db, tc.clientId), [], 'still no grant');

  // Missing the checkbox keeps the ticks too.
  const [first] = accountsOnPage(b).offered;
  await b.post('consent', { decision: 'allow', account_id: [first!.id] });
  t.same(accountsOnPage(b).offered.filter((a) => a.ticked).map((a) => a.id), [first!.id]);
});

t.test('a locked account is listed as not included when step 3 is skipped', async (t) => {
  await preRegisterPins(db, USERS.master.loginId, ['1000088', '1000658', '1000995']);
  await lockPin(t, '1000771');
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.master);
  if (b.title === TITLES.business) await b.post('business', { scope: b.values('scope') });
  t.equal(b.title, TITLES.consent, 'step 3 skipped: nothing left to register');
  const { offered, excluded } = accountsOnPage(b);
  t.same(offered.map((a) => numberOf(a.label)).sort(), ['1000088', '1000658', '1000995']);
  t.same(excluded.map((a) => [numberOf(a.label), a.reason]), [['1000771', LOCKED]]);
});

t.test('who asks: the client’s own client_name as the service, the partner’s legal name as the company', async (t) => {
  const tc = await insertTestClient(db);
  await db.updateTable('oauth_clients').set({ metadata: JSON.stringify({ ...(await db.selectFrom('oauth_clients').select('metadata').where('client_id', '=', tc.clientId).executeTakeFirstOrThrow()).metadata, client_name: 'ほかの家計簿アプリ', client_uri: 'https://other.example/' }) })
    .where('client_id', '=', tc.clientId).execute();
  const b = await toConsentAsMaster(tc);
  t.match(b.html, 'ほかの家計簿アプリ（株式会社 入出金情報提供）', 'service and company');
  t.match(b.html, 'https://other.example/', 'the client’s own site');
  t.notMatch(b.html, 'かんたん家計簿', 'never the partner’s other service');
});

t.test('with no account to allow, 手続きを終了する reaches the partner as “no account can be connected”', async (t) => {
  for (const n of ['1000088', '1000658', '1000771', '1000995']) await lockPin(t, n);
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.master);
  if (b.title === TITLES.business) await b.post('business', { scope: b.values('scope') });
  t.equal(b.title, TITLES.consent);
  t.match(b.html, '連携できる口座がありません。');
  t.match(b.html, '>手続きを終了する</button>');
  t.notMatch(b.html, 'value="allow"', 'no 許可 button');
  const callback = await b.post('consent', { decision: 'deny' });
  t.equal(callback?.searchParams.get('error'), 'access_denied');
  t.equal(callback?.searchParams.get('error_description'), 'no account can be connected');
  const rows = (await auditRows(db, 'consent.denied')).filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.match(rows[0]!.details, { reason: 'no_accounts' });
});

t.test('拒否 and 中止する reach the partner with distinct descriptions', async (t) => {
  const tc = await insertTestClient(db);
  const b = await toConsentAsMaster(tc);
  const denied = await b.post('consent', { decision: 'deny' });
  t.equal(denied?.searchParams.get('error_description'), 'the account holder denied the access');
  const { b: b2 } = await startJourney(server, tc);
  const aborted = await b2.post('abort', {});
  t.equal(aborted?.searchParams.get('error'), 'access_denied');
  t.equal(aborted?.searchParams.get('error_description'), 'the account holder cancelled');
});
