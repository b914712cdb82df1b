import t, { type Test } from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { accountByNumber, advanceToConsent, auditRows, login, startJourney, USERS, userByLoginId } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;

type Row = Awaited<ReturnType<typeof auditRows>>[number];

/** Who did it, for which customer, what happened, from where. */
async function checkRow(t: Test, row: Row | undefined, loginId: string, name: string) {
  t.ok(row, `${name}: recorded`);
  if (!row) return;
  const user = await userByLoginId(db, loginId);
  t.equal(row.actor_user_id, user.id, `${name}: actor`);
  t.equal(row.actor_login_id, loginId, `${name}: actor login ID`);
  t.equal(row.customer_id, user.customer_id, `${name}: customer`);
  t.ok(Object.keys(row.details).length > 0, `${name}: details`);
  t.ok(row.ip, `${name}: IP`);
}

t.test('login success, failure and lock each write an audit event', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  for (let i = 0; i < 5; i++) await b.post('login', { login_id: USERS.user3.loginId, password: `nope-${i}` });
  const failures = await auditRows(db, 'login.failure', { loginId: USERS.user3.loginId });
  t.equal(failures.length, 5);
  await checkRow(t, failures[0], USERS.user3.loginId, 'login.failure');
  t.match(failures[4]!.details, { channel: 'api_consent', reason: 'wrong_password', failures: 5 });
  const [locked] = await auditRows(db, 'login.locked', { loginId: USERS.user3.loginId });
  await checkRow(t, locked, USERS.user3.loginId, 'login.locked');

  await b.post('login', { login_id: '1999999999', password: 'whatever' });
  const [unknown] = await auditRows(db, 'login.failure', { loginId: '1999999999' });
  t.ok(unknown, 'an unknown login ID is audited too');
  t.match(unknown!.details, { reason: 'unknown_login_id' });
  t.equal(unknown!.actor_user_id, null);

  await login(b, USERS.user1);
  const [success] = await auditRows(db, 'login.success', { loginId: USERS.user1.loginId });
  await checkRow(t, success, USERS.user1.loginId, 'login.success');
  t.match(success!.details, { channel: 'api_consent' });
});

t.test('PIN success, failure and lock each write an audit event', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { scope: 'openid balances' });
  await login(b, USERS.user2);
  const account = await accountByNumber(db, '1000088');
  await b.post('pin', { account_id: account.id, pin: '0000' });
  const [failure] = await auditRows(db, 'pin.failure', { loginId: USERS.user2.loginId });
  await checkRow(t, failure, USERS.user2.loginId, 'pin.failure');
  t.match(failure!.details, { accountId: account.public_id, reason: 'wrong_pin', failures: 1 });
  await b.post('pin', { account_id: account.id, pin: '7392' });
  const [success] = await auditRows(db, 'pin.success', { loginId: USERS.user2.loginId });
  await checkRow(t, success, USERS.user2.loginId, 'pin.success');
  t.match(success!.details, { accountId: account.public_id });

  const other = await accountByNumber(db, '2000123');
  const j = await startJourney(server, tc, { scope: 'openid balances' });
  await login(j.b, USERS.hanako);
  for (const pin of ['0001', '0002', '0003']) await j.b.post('pin', { account_id: other.id, pin });
  const [locked] = await auditRows(db, 'pin.locked', { loginId: USERS.hanako.loginId });
  await checkRow(t, locked, USERS.hanako.loginId, 'pin.locked');
  t.match(locked!.details, { accountId: other.public_id });
});

t.test('consent granted and denied each write an audit event', async (t) => {
  const tc = await insertTestClient(db);
  const granted = await startJourney(server, tc);
  await login(granted.b, USERS.user1);
  await advanceToConsent(granted.b);
  await granted.b.post('consent', { decision: 'allow', continue: 'on' });
  const [g] = await auditRows(db, 'consent.granted', { loginId: USERS.user1.loginId });
  await checkRow(t, g, USERS.user1.loginId, 'consent.granted');
  t.match(g!.details, { clientId: tc.clientId, scopes: ['balances', 'transactions', 'offline_access'], accounts: 1 });

  const denied = await startJourney(server, tc);
  await login(denied.b, USERS.user1);
  await advanceToConsent(denied.b);
  await denied.b.post('consent', { decision: 'deny' });
  const [d] = await auditRows(db, 'consent.denied', { loginId: USERS.user1.loginId });
  await checkRow(t, d, USERS.user1.loginId, 'consent.denied');
  t.match(d!.details, { clientId: tc.clientId, reason: 'consent_denied' });
});
