import t from 'tap';
import { JOURNEY_TEXTS } from '../../../src/interactions/journey.i18n.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { advanceToConsent, exchangeCode, grantsOf, login, preRegisterPins, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// DESIGN §17 / issue: the consent journey offers 振込 as a 利用業務 when the client asks for `transfers`,
// and step 5 says plainly that the partner may request transfers the customer must approve in
// internet banking (申請・承認一覧), in Japanese and in English.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);

const ALL = ['openid', 'offline_access', 'balances', 'transactions', 'transfers'];
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

t.test('振込 is offered in step 2 with what it means, and step 5 says approval happens in 申請・承認一覧', async (t) => {
  const tc = await insertTestClient(db, { scopes: ALL });
  const { b, c, codeVerifier } = await startJourney(server, tc, { scope: ALL.join(' ') });
  await login(b, USERS.user1);
  t.equal(b.title, TITLES.business);
  t.same(b.values('scope'), ['balances', 'transactions', 'transfers'], '振込 among the 利用業務');
  t.match(b.html, '<label for="scope-transfers">振込</label>');
  t.match(b.html, 'aria-describedby="scope-transfers-hint"', 'the hint is tied to its checkbox');
  t.match(text(b.html), JOURNEY_TEXTS.transfersHint.ja);

  await advanceToConsent(b, { business: ['balances', 'transfers'] });
  t.equal(b.title, TITLES.consent);
  const page = text(b.html);
  t.match(page, '振込', '振込 among the 利用業務 allowed');
  t.match(page, 'は、許可する口座からの振込を依頼できるようになります。');
  t.match(page, '「申請・承認一覧」で取引パスワードを入力して承認するまで実行されません');
  t.match(b.html, 'id="transfers-notice"');

  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.ok(callback, 'back to the client');
  const tokens = await exchangeCode(c, tc, callback!, codeVerifier);
  t.ok(tokens.scope?.split(' ').includes('transfers'), 'the token carries transfers');
  const [grant] = await grantsOf(db, tc.clientId);
  t.ok(grant!.scopes.includes('transfers'), 'the bank’s grant records 振込');
});

t.test('without 振込 chosen, step 5 says nothing about transfers', async (t) => {
  const tc = await insertTestClient(db, { scopes: ALL });
  const { b } = await startJourney(server, tc, { scope: ALL.join(' ') });
  await login(b, USERS.user1);
  await advanceToConsent(b, { business: ['balances'] });
  t.notMatch(b.html, 'transfers-notice');
  t.notMatch(text(b.html), '申請・承認一覧');
});

t.test('a client the bank does not allow 振込 is not offered it', async (t) => {
  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances', 'transactions'] });
  const { b } = await startJourney(server, tc, { scope: 'openid offline_access balances transactions' });
  await login(b, USERS.user1);
  t.notMatch(b.html, 'scope-transfers');
});

t.test('in English: the same, plainly', async (t) => {
  const tc = await insertTestClient(db, { scopes: ALL, showBusinessSelection: false });
  const { b } = await startJourney(server, tc, { scope: ALL.join(' '), extra: { ui_locales: 'en' } });
  await login(b, USERS.user1);
  t.equal(b.title, JOURNEY_TEXTS.titleConsent.en, 'login → permission (PINs registered, no business screen)');
  const page = text(b.html);
  t.match(page, 'Transfers');
  t.match(page, 'will be able to request transfers from the accounts you allow');
  t.match(page, 'not made until you approve it with your transaction password in internet banking (申請・承認一覧');
});
