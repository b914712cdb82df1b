import { decodeJwt } from 'jose';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { alertText, exchangeCode, grantsOf, login, preRegisterPins, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
// User 1's two ordinary accounts are registered already: after login comes step 2 or step 5.
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);

t.test('the 利用業務 screen is skipped when the client requested one business scope', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc, { scope: 'openid offline_access balances' });
  await login(b, USERS.user1);
  t.equal(b.title, TITLES.consent, 'login → permission');
  t.match(b.html, '残高照会');
  t.notMatch(b.html, '入出金明細照会');
});

t.test('the 利用業務 screen is skipped when the bank configured the client so', async (t) => {
  const tc = await insertTestClient(db, { showBusinessSelection: false });
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  t.equal(b.title, TITLES.consent, 'login → permission');
  t.match(b.html, '残高照会');
  t.match(b.html, '入出金明細照会', 'everything requested is covered');
});

t.test('choosing no 利用業務 shows the page again with an error', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  t.equal(b.title, TITLES.business);
  await b.post('business', {});
  t.equal(b.status, 400);
  t.equal(b.title, TITLES.business);
  t.equal(alertText(b.html), '利用業務を1つ以上選択してください。');
  t.same(b.values('scope'), ['balances', 'transactions'], 'the same choices offered');
});

t.test('a malformed choice (a NUL, too many values) shows the page again with an error', async (t) => {
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  await login(b, USERS.user1);
  for (const scope of [['balances\u0000'], Array.from({ length: 11 }, () => 'balances')]) {
    await b.post('business', { scope });
    t.equal(b.status, 400);
    t.equal(b.title, TITLES.business);
    t.equal(alertText(b.html), '利用業務を1つ以上選択してください。');
  }
});

t.test('a 利用業務 the client did not request cannot be smuggled in through the form', async (t) => {
  // The bank allows this client 振込, but it asked only for 残高照会 and 入出金明細照会.
  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances', 'transactions', 'transfers'] });
  const { b, c, codeVerifier } = await startJourney(server, tc);
  await login(b, USERS.user1);
  t.notOk(b.values('scope').includes('transfers'), '振込 not offered');
  await b.post('business', { scope: ['transfers'] });
  t.equal(b.status, 400, 'only the smuggled scope: nothing chosen');
  t.equal(b.title, TITLES.business);
  await b.post('business', { scope: ['transactions', 'transfers'] });
  t.equal(b.title, TITLES.consent);
  t.notMatch(b.html, '振込');
  t.notMatch(b.html, '残高照会');
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  const tokens = await exchangeCode(c, tc, callback!, codeVerifier);
  t.equal(decodeJwt(tokens.access_token).scope, 'transactions');
  const [grant] = await grantsOf(db, tc.clientId);
  t.same(grant!.scopes, ['transactions', 'offline_access']);
});

t.test('the choice narrows the access token and the bank grant to what the holder picked', async (t) => {
  const tc = await insertTestClient(db);
  const { b, c, codeVerifier } = await startJourney(server, tc);
  await login(b, USERS.user1);
  await b.post('business', { scope: ['transactions'] });
  t.equal(b.title, TITLES.consent);
  t.match(b.html, '入出金明細照会');
  t.notMatch(b.html, '残高照会');
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  const tokens = await exchangeCode(c, tc, callback!, codeVerifier);
  const at = decodeJwt(tokens.access_token);
  t.equal(at.scope, 'transactions');
  const grants = await grantsOf(db, tc.clientId);
  t.equal(grants.length, 1);
  t.same(grants[0]!.scopes, ['transactions', 'offline_access']);
  t.equal(grants[0]!.oidc_grant_id, at.grant_id);
  // A refreshed access token stays narrow.
  t.ok(tokens.refresh_token);
});
