import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import {
  accountByNumber, alertText, auditRows, completeJourney, grantsOf, login, startJourney, TITLES, unlockPin, USERS, userByLoginId,
} from '../../helpers/fapi.ts';
import type { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';
import type { AuthServer } from '../../helpers/auth-server.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
const ONE_SCOPE = 'openid offline_access balances';

const LOCKED = 'この口座の照会用暗証番号はロックされています。お取引店へお問い合わせください。';

/** A journey of this user standing on step 3 (one 利用業務 requested, so step 2 is skipped). */
async function atPinStep(s: AuthServer, user: { loginId: string; password: string }): Promise<JourneyDriver> {
  const tc = await insertTestClient(s.database.db);
  const { b } = await startJourney(s, tc, { scope: ONE_SCOPE });
  await login(b, user);
  if (b.title !== TITLES.pin) throw new Error(`expected step 3, got ${b.title}`);
  return b;
}

const accountState = (n: string) => accountByNumber(db, n).then((a) => ({ failures: a.pin_failed_count, locked: a.pin_locked_at !== null }));
const registrations = async (loginId: string, n: string) => {
  const [u, a] = await Promise.all([userByLoginId(db, loginId), accountByNumber(db, n)]);
  return db.selectFrom('pin_registrations').selectAll().where('user_id', '=', u.id).where('account_id', '=', a.id).execute();
};

t.test('a wrong PIN shows how many attempts remain', async (t) => {
  t.teardown(() => unlockPin(db, '2000123'));
  const b = await atPinStep(server, USERS.hanako);
  const account = await accountByNumber(db, '2000123');
  await b.post('pin', { account_id: account.id, pin: '0000' });
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.pin);
  t.equal(alertText(b.html), '照会用暗証番号が正しくありません。あと2回誤るとこの口座の照会用暗証番号はロックされます。');
  await b.post('pin', { account_id: account.id, pin: '0001' });
  t.match(alertText(b.html), 'あと1回');
  t.same(await accountState('2000123'), { failures: 2, locked: false });
});

t.test('three wrong PINs lock the account’s PIN across sessions and clients', async (t) => {
  t.teardown(() => unlockPin(db, '1000088'));
  const account = await accountByNumber(db, '1000088');
  const first = await atPinStep(server, USERS.user1);
  await first.post('pin', { account_id: account.id, pin: '1111' });
  await first.post('pin', { account_id: account.id, pin: '2222' });
  t.same(await accountState('1000088'), { failures: 2, locked: false });
  // Another user, another client, another browser session: the third failure still counts.
  const second = await atPinStep(server, USERS.user2);
  await second.post('pin', { account_id: account.id, pin: '3333' });
  t.equal(second.status, 400);
  t.equal(alertText(second.html), LOCKED);
  t.same(await accountState('1000088'), { failures: 3, locked: true });
  t.match(second.html, 'ロック中', 'shown as locked');
  t.same(second.values('account_id'), [], 'and no longer selectable');
  await first.go('GET', `/interaction/${first.uid}`);
  t.match(first.html, 'ロック中', 'the first session sees the lock too');
  t.equal((await auditRows(db, 'pin.locked')).filter((r) => (r.details as { accountId?: string }).accountId === account.public_id).length, 1);
});

t.test('a locked account cannot be registered, even with the right PIN', async (t) => {
  t.teardown(() => unlockPin(db, '1000658'));
  const b = await atPinStep(server, USERS.user1);
  await db.updateTable('accounts').set({ pin_failed_count: 3, pin_locked_at: new Date() }).where('account_number', '=', '1000658').execute();
  const account = await accountByNumber(db, '1000658');
  await b.post('pin', { account_id: account.id, pin: '5816' });
  t.equal(b.status, 400);
  t.equal(alertText(b.html), LOCKED);
  t.same(await registrations(USERS.user1.loginId, '1000658'), [], 'not registered');
});

t.test('a burst of concurrent wrong PINs from several journeys locks exactly once, at three failures', async (t) => {
  t.teardown(() => unlockPin(db, '1000658'));
  const account = await accountByNumber(db, '1000658');
  const since = new Date(Date.now() - 1000);
  const journeys = [];
  for (let i = 0; i < 5; i++) journeys.push(await atPinStep(server, USERS.user1));
  await Promise.all(journeys.map((b, i) => b.post('pin', { account_id: account.id, pin: `900${i}` })));
  t.same(await accountState('1000658'), { failures: 3, locked: true });
  const ours = (rows: Awaited<ReturnType<typeof auditRows>>) => rows.filter((r) => (r.details as { accountId?: string }).accountId === account.public_id);
  t.equal(ours(await auditRows(db, 'pin.locked', { since })).length, 1, 'one lock event');
  const counted = ours(await auditRows(db, 'pin.failure', { since })).filter((r) => (r.details as { reason?: string }).reason === 'wrong_pin');
  const failures = counted.map((r) => (r.details as { failures: number }).failures).sort();
  t.same(failures.slice(0, 3), [1, 2, 3], 'counted one by one');
  t.ok(failures.every((n) => n <= 3), 'the counter never passes three');
  t.equal(journeys.filter((b) => alertText(b.html) === LOCKED).length, 3, 'three journeys are told the PIN is locked');
});

t.test('a PIN for an account the user may not see is refused without counting', async (t) => {
  const b = await atPinStep(server, USERS.user2);
  const hidden = await accountByNumber(db, '1000658');
  t.notOk(b.values('account_id').includes(hidden.id), 'not offered');
  await b.post('pin', { account_id: hidden.id, pin: '5816' });
  t.equal(b.status, 400);
  t.equal(alertText(b.html), '登録する口座を選択してください。', 'the same answer as an unknown account');
  t.same(await registrations(USERS.user2.loginId, '1000658'), []);
  t.same(await accountState('1000658'), { failures: 0, locked: false });
});

t.test('a malformed PIN (3 digits, letters, 5 digits) is refused without counting', async (t) => {
  const b = await atPinStep(server, USERS.user2);
  const account = await accountByNumber(db, '1000088');
  for (const pin of ['739', 'abcd', '73920', '']) {
    await b.post('pin', { account_id: account.id, pin });
    t.equal(alertText(b.html), '照会用暗証番号は数字4桁で入力してください。', `"${pin}"`);
  }
  t.same(await accountState('1000088'), { failures: 0, locked: false });
});

t.test('an account id that is not a UUID, or a PIN with a NUL, gets the page again, never an error', async (t) => {
  const b = await atPinStep(server, USERS.user2);
  const account = await accountByNumber(db, '1000088');
  for (const accountId of ['0'.repeat(36), '-'.repeat(36), `urn:uuid:${account.id}`, `${account.id}\u0000`, '']) {
    await b.post('pin', { account_id: accountId, pin: '7392' });
    t.equal(b.status, 400, JSON.stringify(accountId));
    t.equal(b.title, TITLES.pin);
    t.equal(alertText(b.html), '登録する口座を選択してください。');
  }
  await b.post('pin', { account_id: '00000000-0000-0000-0000-000000000000', pin: '7392' });
  t.equal(alertText(b.html), '登録する口座を選択してください。', 'a well-formed id of no account: the same answer');
  await b.post('pin', { account_id: account.id, pin: '73\u000092' });
  t.equal(b.status, 400);
  t.equal(alertText(b.html), '照会用暗証番号は数字4桁で入力してください。');
  t.same(await registrations(USERS.user2.loginId, '1000088'), []);
  t.same(await accountState('1000088'), { failures: 0, locked: false });
});

t.test('PINs never appear in the logs or the audit trail', async (t) => {
  const since = new Date(Date.now() - 1000);
  const b = await atPinStep(server, USERS.hanako);
  const account = await accountByNumber(db, '2000123');
  await b.post('pin', { account_id: account.id, pin: '8147' });
  await b.post('pin', { account_id: account.id, pin: '2580' });
  t.equal(b.title, TITLES.pinResult, 'registered');
  t.notMatch(b.html, /2580|8147/, 'not echoed on the page');
  const standalone = (pin: string) => new RegExp(`(?<![0-9.])${pin}(?![0-9.])`);
  // Request ids are random UUIDs, whose hex digits can spell a PIN by chance: they are masked first.
  const logs = server.logs().join('\n').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
  t.ok(logs.length > 0, 'there are logs');
  for (const pin of ['2580', '8147']) t.notMatch(logs, standalone(pin), `${pin} not in the logs`);
  t.notMatch(logs, /"pin"\s*:/, 'no pin field in the logs');
  t.notMatch(logs, USERS.hanako.password, 'nor the login password');
  const audit = await db.selectFrom('audit_events').select('details').where('occurred_at', '>=', since).execute();
  t.ok(audit.length >= 2);
  for (const pin of ['2580', '8147']) t.notMatch(JSON.stringify(audit), standalone(pin), `${pin} not in audit_events`);
});

t.test('step 3 is skipped when every account the user may see is registered', async (t) => {
  const first = await insertTestClient(db);
  await completeJourney(server, first, USERS.user2, { scope: ONE_SCOPE });
  t.equal((await registrations(USERS.user2.loginId, '1000088')).length, 1, 'the first journey registered 1000088');
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { scope: ONE_SCOPE });
  await login(b, USERS.user2);
  t.equal(b.title, TITLES.consent, 'login → permission');
  const two = await insertTestClient(db);
  const j = await startJourney(server, two);
  await login(j.b, USERS.user2);
  t.equal(j.b.title, TITLES.business);
  await j.b.post('business', { scope: ['balances'] });
  t.equal(j.b.title, TITLES.consent, 'login → 利用業務 → permission');
});

t.test('a user without account rights gets a permission screen without 許可, and a forged 許可 is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { scope: ONE_SCOPE });
  await login(b, USERS.user3);
  t.equal(b.title, TITLES.consent, 'no accounts: no PIN step');
  t.match(b.html, '連携できる口座がありません。');
  t.notMatch(b.html, 'value="allow"', 'no 許可 button');
  t.notMatch(b.html, 'name="continue"', 'no checkbox');
  t.match(b.html, 'value="deny"', '拒否 remains');
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.equal(callback, undefined, 'not sent back to the client');
  t.equal(b.status, 400);
  t.equal(alertText(b.html), '連携できる口座がないため、許可できません。');
  t.same(await grantsOf(db, tc.clientId), [], 'no grant');
});
