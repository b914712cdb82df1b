import t from 'tap';
import { sql } from 'kysely';
import { formatJst } from '../../../src/interactions/consent-coverage.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import {
  advanceToConsent, alertText, auditRows, completeJourney, grantsOf, login, preRegisterPins, refreshError, startJourney, TITLES, USERS,
} from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);
const DAY = 86_400_000;

t.test('許可 without the 許可手続きを継続する checkbox is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow' });
  t.equal(callback, undefined, 'not sent to the client');
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.consent);
  t.equal(alertText(b.html), '「許可手続きを継続する」をチェックしてください。');
  t.match(b.html, 'aria-invalid="true"', 'the checkbox is marked invalid');
  t.same(await grantsOf(db, tc.clientId), [], 'no grant row');
  // Ticking the box then works.
  t.ok(await b.post('consent', { decision: 'allow', continue: 'on' }));
  t.equal((await grantsOf(db, tc.clientId)).length, 1);
});

t.test('a form with no valid decision gets the permission page again, and grants nothing', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const forms: Record<string, string>[] = [{ decision: 'maybe', continue: 'on' }, { continue: 'on' }, { decision: 'allow', continue: 'o'.repeat(11) }];
  for (const form of forms) {
    t.equal(await b.post('consent', form), undefined, `${JSON.stringify(form)}: not sent to the client`);
    t.equal(b.status, 400);
    t.equal(b.title, TITLES.consent);
    t.equal(alertText(b.html), '入力内容に誤りがあります。もう一度操作してください。');
  }
  t.same(await grantsOf(db, tc.clientId), [], 'no grant row');
});

t.test('拒否 returns access_denied (with iss) to the redirect URI and is audited', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'deny' });
  t.ok(callback);
  t.equal(callback!.origin + callback!.pathname, tc.redirectUri);
  t.equal(callback!.searchParams.get('error'), 'access_denied');
  t.equal(callback!.searchParams.get('iss'), server.issuer);
  t.notOk(callback!.searchParams.get('code'));
  const denied = (await auditRows(db, 'consent.denied', { loginId: USERS.user1.loginId }))
    .filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.equal(denied.length, 1);
  t.match(denied[0]!.details, { reason: 'consent_denied', step: 'consent' });
  t.ok(denied[0]!.actor_user_id);
  t.same(await grantsOf(db, tc.clientId), []);
});

t.test('中止 on an earlier step also returns access_denied, and is audited', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  t.match(b.html, '中止する');
  const callback = await b.post('abort', {});
  t.equal(callback?.searchParams.get('error'), 'access_denied');
  t.equal(callback?.searchParams.get('iss'), server.issuer);
  const rows = (await auditRows(db, 'consent.denied')).filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.equal(rows.length, 1);
  t.match(rows[0]!.details, { reason: 'journey_aborted', step: 'login' });
});

t.test('a second consent of the same user for the same client replaces the first grant', async (t) => {
  const tc = await insertTestClient(db);
  const first = await completeJourney(server, tc, USERS.user1);
  const second = await completeJourney(server, tc, USERS.user1);
  const grants = await grantsOf(db, tc.clientId);
  t.equal(grants.length, 2);
  t.equal(grants[0]!.revoked_by, 'system', 'the first grant ended');
  t.ok(grants[0]!.revoked_at);
  t.equal(grants[1]!.revoked_at, null, 'the second is the active one');
  t.equal(grants.filter((g) => g.revoked_at === null).length, 1, 'one active grant');
  t.equal(await refreshError(first.c, first.tokens.refresh_token!), 'invalid_grant', 'the first refresh token is dead');
  t.equal(await refreshError(second.c, second.tokens.refresh_token!), undefined, 'the second one works');
  const granted = (await auditRows(db, 'consent.granted')).filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.equal((granted[1]!.details as { replaced?: string }).replaced, grants[0]!.id, 'the audit names the replaced grant');
});

t.test('re-consent restarts the full period', async (t) => {
  const tc = await insertTestClient(db);
  await completeJourney(server, tc, USERS.user1);
  // The first consent was given 10 days ago.
  const [old] = await grantsOf(db, tc.clientId);
  await db.updateTable('grants').set({ granted_at: new Date(old!.granted_at.getTime() - 10 * DAY), expires_at: new Date(old!.expires_at.getTime() - 10 * DAY) })
    .where('id', '=', old!.id).execute();
  await completeJourney(server, tc, USERS.user1);
  const [first, second] = await grantsOf(db, tc.clientId);
  t.equal(Math.round((second!.expires_at.getTime() - second!.granted_at.getTime()) / DAY), 90, 'a full 90 days from now');
  t.equal(Math.round((second!.expires_at.getTime() - first!.expires_at.getTime()) / DAY), 10, 'not the rest of the old period');
});

t.test('the period is the client’s consent period, shown in Japan time', async (t) => {
  const tc = await insertTestClient(db, { consentPeriodDays: 30 });
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await b.post('business', { scope: b.values('scope') });
  const before = new Date();
  await b.go('GET', `/interaction/${b.uid}`);
  const after = new Date();
  t.equal(b.title, TITLES.consent);
  const start = /許可開始: ([^<]+)</.exec(b.html)?.[1];
  const end = /許可期限: ([^<]+)</.exec(b.html)?.[1];
  t.ok([formatJst(before, 'ja'), formatJst(after, 'ja')].includes(start!), `start ${start} is now in JST`);
  const parse = (s: string) => {
    const m = /^(\d{4})年(\d{2})月(\d{2})日 (\d{2}):(\d{2})$/.exec(s)!;
    return Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00+09:00`);
  };
  t.equal((parse(end!) - parse(start!)) / DAY, 30, 'expiry 30 days later');
  await b.post('consent', { decision: 'allow', continue: 'on' });
  const [grant] = await grantsOf(db, tc.clientId);
  t.equal(Math.round((grant!.expires_at.getTime() - grant!.granted_at.getTime()) / DAY), 30, 'the grant lives 30 days');
  const recorded = formatJst(grant!.expires_at, 'ja');
  t.ok([end, formatJst(new Date(parse(end!) + 60_000), 'ja')].includes(recorded), `the expiry shown (${end}) is the one recorded (${recorded}), to the minute`);
});


t.test('two tabs pressing 許可 at once leave one active grant and no server error', async (t) => {
  const tc = await insertTestClient(db);
  const tabs = [await startJourney(server, tc), await startJourney(server, tc)];
  for (const { b } of tabs) {
    await login(b, USERS.user1);
    await advanceToConsent(b);
  }
  const answers = await Promise.all(tabs.map(({ b }) => b.request('POST', `/interaction/${b.uid}/consent`, { _csrf: b.csrf, decision: 'allow', continue: 'on', account_id: b.checked('account_id') })));
  t.same(answers.map((a) => a.status), [303, 303], 'both tabs go on');
  const grants = await grantsOf(db, tc.clientId);
  t.equal(grants.filter((g) => g.revoked_at === null).length, 1, 'one active grant');
});

t.test('ten parallel 許可 on one interaction make exactly one grant and one consent.granted row', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const form = { _csrf: b.csrf, decision: 'allow', continue: 'on', account_id: b.checked('account_id') };
  const answers = await Promise.all(Array.from({ length: 10 }, () => b.request('POST', `/interaction/${b.uid}/consent`, form)));
  t.same(answers.map((a) => a.status), Array(10).fill(303), 'every press goes on to the provider');
  const grants = await grantsOf(db, tc.clientId);
  t.equal(grants.length, 1, 'one bank grant');
  t.equal(grants[0]!.revoked_at, null, 'and it is active');
  const granted = (await auditRows(db, 'consent.granted')).filter((r) => (r.details as { clientId?: string }).clientId === tc.clientId);
  t.equal(granted.length, 1, 'one consent.granted row');
  const providerGrants = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant')
    .where(sql<boolean>`payload->>'clientId' = ${tc.clientId}`).execute();
  t.same(providerGrants.map((g) => g.id), [grants[0]!.oidc_grant_id], 'one provider Grant, the bank grant’s');
  t.same(new Set(answers.map((a) => a.location)).size, 1, 'every press is sent to the same place');
  // The journey then completes once with the one grant.
  const callback = await b.go('GET', answers[0]!.location!);
  t.ok(callback?.searchParams.get('code'), 'a code for the client');
});

t.test('the provider Grant is written in the bank’s consent transaction: a failing bank write leaves no provider Grant', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await advanceToConsent(b);
  // A trigger makes the bank's grant insert fail after the provider's Grant was saved.
  await sql`create or replace function fail_grant_insert() returns trigger language plpgsql as $$ begin raise exception 'bank write failed'; end $$`.execute(db);
  await sql.raw(`create trigger fail_grant_insert before insert on grants for each row when (new.client_id = '${tc.clientId}') execute function fail_grant_insert()`).execute(db);
  t.teardown(() => sql`drop trigger if exists fail_grant_insert on grants`.execute(db));
  const r = await b.request('POST', `/interaction/${b.uid}/consent`, { _csrf: b.csrf, decision: 'allow', continue: 'on', account_id: b.checked('account_id') });
  t.equal(r.status, 500, 'the failure surfaces');
  t.same(await grantsOf(db, tc.clientId), [], 'no bank grant');
  const providerGrants = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant')
    .where(sql<boolean>`payload->>'clientId' = ${tc.clientId}`).execute();
  t.same(providerGrants, [], 'no orphan provider Grant');
});
