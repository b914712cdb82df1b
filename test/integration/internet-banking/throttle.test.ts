import t from 'tap';
import { issueLoginReset } from '../../../src/auth/passwords.service.ts';
import { deriveCodeKey } from '../../../src/business-id/confirmations.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from './ib-client.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const database = await createTestDatabase(t);
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

/** An app on the shared database with these throttle settings ('' = the configured default). */
function appWith(t: { teardown(fn: () => unknown): void }, perAddress: string, perLoginId: string) {
  return buildTestApp(t, {
    database,
    env: { DEV_MAILBOX: 'false', LOGIN_THROTTLE_PER_ADDRESS: perAddress, LOGIN_THROTTLE_PER_LOGIN_ID: perLoginId, LOGIN_THROTTLE_WINDOW_SECONDS: '600' },
  });
}

async function resetFor(loginId: string) {
  const user = await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow();
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', user.id).execute();
  return issueLoginReset(db, { userId: user.id, codeKey: deriveCodeKey(TEST_SECRETS.keyEncryptionKey) });
}

t.test('fewer than 5 attempts are never throttled at the default limits', async (t) => {
  const { app, config } = await appWith(t, '', '');
  t.same(config.loginThrottle, { perAddress: 30, perLoginId: 10, windowMs: 600_000 }, 'the defaults come from the configuration');
  const c = new IbClient(app);
  for (let i = 0; i < 4; i++) t.equal((await c.login('1000000003', 'wrong-password')).statusCode, 401, `wrong attempt ${i + 1}`);
  t.equal((await c.login('1000000003', 'User2pass2024')).statusCode, 303, 'the fifth attempt, right, logs in');
  await db.updateTable('users').set({ login_failed_count: 0 }).where('login_id', '=', '1000000003').execute();
});

t.test('POST /ib/login beyond the per-login-ID limit: 429 with Retry-After and a page in ja or en', async (t) => {
  const { app } = await appWith(t, '100000', '5');
  const c = new IbClient(app);
  for (let i = 0; i < 5; i++) t.equal((await c.login('9999999991', 'nope')).statusCode, 401);
  const refused = await c.login('9999999991', 'nope');
  t.equal(refused.statusCode, 429);
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds');
  t.match(refused.headers['content-type'], /text\/html/, 'a page, not JSON, for a browser');
  t.match(visibleText(refused.body), 'リクエストが多すぎます');
  t.match(refused.body, /<html lang="ja">/);
  await c.get('/ib/login');
  const en = await c.post('/ib/login', { loginId: '9999999991', password: 'nope' }, { 'accept-language': 'en' });
  t.equal(en.statusCode, 429);
  t.match(visibleText(en.body), 'Too many requests');
  t.match(en.body, /<html lang="en">/);
  await c.get('/ib/login');
  t.equal((await c.post('/ib/login', { loginId: ' 9999999991 ', password: 'nope' })).statusCode, 429, 'the same login ID, however spaced');
  t.equal((await c.login('9999999992', 'nope')).statusCode, 401, 'another login ID is not throttled');
});

t.test('POST /ib/login beyond the per-address limit: 429 whatever the login ID', async (t) => {
  const { app } = await appWith(t, '5', '100000');
  const c = new IbClient(app);
  for (let i = 0; i < 5; i++) t.equal((await c.login(`999999980${i}`, 'nope')).statusCode, 401);
  const refused = await c.login('9999999809', 'nope');
  t.equal(refused.statusCode, 429);
  t.ok(refused.headers['retry-after']);
  t.equal((await c.get('/ib/login')).statusCode, 200, 'only the attempts are throttled, not the screens');
});

t.test('POST /ib/password-reset/:token beyond the per-URL limit: 429 with Retry-After', async (t) => {
  const { app } = await appWith(t, '100000', '5');
  const { token } = await resetFor('1000000004');
  const url = `/ib/password-reset/${token}`;
  const c = new IbClient(app);
  await c.get(url);
  const wrong = { code: '000000', newPassword: 'NewPass2030', newPasswordConfirm: 'NewPass2030' };
  for (let i = 0; i < 4; i++) t.equal((await c.post(url, wrong)).statusCode, 400);
  t.equal((await c.post(url, wrong)).statusCode, 410, 'the 5th wrong 認証番号 uses the tries up: the page says so (410)');
  const refused = await c.post(url, wrong);
  t.equal(refused.statusCode, 429);
  t.ok(Number(refused.headers['retry-after']) >= 1);
  t.match(visibleText(refused.body), 'リクエストが多すぎます');
  const other = await resetFor('1000000003');
  await c.get(`/ib/password-reset/${other.token}`);
  t.equal((await c.post(`/ib/password-reset/${other.token}`, { ...wrong, code: other.code })).statusCode, 200, 'another URL is not throttled');
});

t.test('POST /ib/password-reset/:token beyond the per-address limit', async (t) => {
  const { app } = await appWith(t, '5', '100000');
  const c = new IbClient(app);
  const form = { code: '000000', newPassword: 'NewPass2030', newPasswordConfirm: 'NewPass2030' };
  for (let i = 0; i < 5; i++) {
    await c.get('/ib/login');
    t.equal((await c.post(`/ib/password-reset/${'A'.repeat(42)}${i}`, form)).statusCode, 400);
  }
  await c.get('/ib/login');
  const refused = await c.post(`/ib/password-reset/${'B'.repeat(43)}`, form);
  t.equal(refused.statusCode, 429);
  t.ok(refused.headers['retry-after']);
});
