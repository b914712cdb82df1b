import t from 'tap';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { startDemoServer } from './demo-server.ts';

/** The demo says what really happened when the bank's journey ends without a grant. */
t.setTimeout(180_000);
const server = await startDemoServer(t);
const { db } = server.database;

async function atBankLogin(b: JourneyDriver) {
  await b.go('GET', '/demo');
  await b.go('POST', '/demo/start', { _csrf: b.csrf });
  if (b.title !== 'API連携認証（利用登録）') throw new Error(`expected the login page, got ${b.status} ${b.title}`);
}

t.test('中止する: the demo says the holder cancelled, not that they denied', async (t) => {
  const b = new JourneyDriver(server);
  await atBankLogin(b);
  await b.post('abort', {});
  t.equal(new URL(b.url).pathname, '/demo/callback');
  t.equal(b.status, 200);
  t.equal(b.title, '口座の連携を中止しました');
  t.match(b.html, '「中止する」が選ばれた');
  t.notMatch(b.html, '「拒否」');
});

t.test('an expired journey: the holder goes back to the demo, which says the journey expired', async (t) => {
  const b = new JourneyDriver(server);
  await atBankLogin(b);
  const uid = b.uid;
  await db.deleteFrom('oidc_payloads').where('model', '=', 'Interaction').where('id', '=', uid).execute();
  await b.go('GET', `/interaction/${uid}`);
  t.equal(b.status, 400);
  const href = /<a class="button" href="([^"]+)"[^>]*>かんたん家計簿に戻る<\/a>/.exec(b.html)?.[1]?.replaceAll('&amp;', '&');
  t.ok(href, 'the bank offers the way back to かんたん家計簿');
  await b.go('GET', href!);
  t.equal(new URL(b.url).pathname, '/demo/callback');
  t.equal(b.title, '銀行での手続きの有効期限が切れました');
  t.match(b.html, 'access_denied');
});

t.test('no account to connect: the demo says so', async (t) => {
  await db.updateTable('accounts').set({ pin_failed_count: 3, pin_locked_at: new Date() }).where('account_number', 'in', ['1000088', '1000658']).execute();
  t.teardown(() => db.updateTable('accounts').set({ pin_failed_count: 0, pin_locked_at: null }).where('account_number', 'in', ['1000088', '1000658']).execute());
  const b = new JourneyDriver(server);
  await atBankLogin(b);
  await b.post('login', { login_id: '1000000002', password: 'User1pass2024' });
  await b.post('business', { scope: ['balances', 'transactions'] });
  t.equal(b.title, 'API連携認証（情報アクセス許可）', 'step 3 skipped: every account is locked');
  t.match(b.html, '手続きを終了する');
  await b.post('consent', { decision: 'deny' });
  t.equal(new URL(b.url).pathname, '/demo/callback');
  t.equal(b.title, '連携できる口座がありませんでした');
});
