import t from 'tap';
import { loginWithPassword, MAX_LOGIN_FAILURES } from '../../../src/auth/password-login.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const context = { ip: '127.0.0.1', userAgent: 'tap', requestId: 'req-1' };
const login = (loginId: string, password: string) => loginWithPassword(db, { loginId, password, channel: 'api_consent', context });
const events = (loginId: string) =>
  db.selectFrom('audit_events').select(['type', 'outcome', 'details', 'ip', 'request_id']).where('actor_login_id', '=', loginId).orderBy('id').execute();

t.test('the right password logs in and is audited', async (t) => {
  const r = await login('1000000001', 'Aozora2024');
  t.ok(r.ok);
  if (r.ok) t.match(r.user, { loginId: '1000000001', role: 'master', status: 'active', groupId: null });
  const last = (await events('1000000001')).at(-1)!;
  t.match(last, { type: 'login.success', outcome: 'success', ip: '127.0.0.1', request_id: 'req-1', details: { channel: 'api_consent' } });
});

t.test('unknown, malformed and wrong credentials get the same answer', async (t) => {
  for (const [id, pw] of [['9999999999', 'Aozora2024'], ['abc', 'x'], ['', ''], ['1000000002', 'wrong-password'], ['1000000002', '']]) {
    t.same(await login(id!, pw!), { ok: false, reason: 'invalid_credentials' }, `${id} / ${pw}`);
  }
  const unknown = await db.selectFrom('audit_events').select('details').where('actor_login_id', '=', '9999999999').executeTakeFirstOrThrow();
  t.match(unknown.details, { reason: 'unknown_login_id' }, 'the trail tells an operator what happened');
});

t.test('a success resets the failure count', async (t) => {
  await login('1000000002', 'nope');
  await login('1000000002', 'User1pass2024');
  const u = await db.selectFrom('users').select('login_failed_count').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  t.equal(u.login_failed_count, 0);
});

t.test('the 5th consecutive wrong password locks; then even the right one is refused', async (t) => {
  for (let i = 1; i < MAX_LOGIN_FAILURES; i++) t.same(await login('1000000003', `wrong${i}`), { ok: false, reason: 'invalid_credentials' });
  t.same(await login('1000000003', 'wrong5'), { ok: false, reason: 'invalid_credentials' }, 'the locking attempt looks like any failure');
  const u = await db.selectFrom('users').select(['status', 'login_failed_count', 'locked_at']).where('login_id', '=', '1000000003').executeTakeFirstOrThrow();
  t.match(u, { status: 'locked', login_failed_count: 5 });
  t.ok(u.locked_at);
  t.same(await login('1000000003', 'User2pass2024'), { ok: false, reason: 'locked' }, 'the right password is told the user is locked');
  t.same(await login('1000000003', 'wrong6'), { ok: false, reason: 'invalid_credentials' }, 'a wrong one still learns nothing');
  const types = (await events('1000000003')).map((e) => e.type);
  t.equal(types.filter((x) => x === 'login.locked').length, 1, 'one lock event');
});

t.test('concurrent wrong passwords lock exactly once', async (t) => {
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login('1000000004', `bad${i}`)));
  t.ok(results.every((r) => !r.ok && r.reason === 'invalid_credentials'));
  const u = await db.selectFrom('users').select(['status', 'login_failed_count']).where('login_id', '=', '1000000004').executeTakeFirstOrThrow();
  t.match(u, { status: 'locked', login_failed_count: 5 });
  t.equal((await events('1000000004')).filter((e) => e.type === 'login.locked').length, 1);
});

t.test('a certificate customer is refused ID/password with a pointer to certificate login', async (t) => {
  const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
  await db.updateTable('customers').set({ certificate_service_status: 'active', login_method: 'certificate' }).where('id', '=', corp.id).execute();
  t.same(await login('1000000001', 'Aozora2024'), { ok: false, reason: 'certificate_required' });
  t.same(await login('1000000001', 'wrong'), { ok: false, reason: 'invalid_credentials' }, 'only after the right password');
  await db.updateTable('customers').set({ login_method: 'password', certificate_service_status: 'none' }).where('id', '=', corp.id).execute();
});

t.test('a user whose password an administrator reset must use the mailed link', async (t) => {
  await db.updateTable('users').set({ status: 'reset_pending' }).where('login_id', '=', '2000000001').execute();
  t.same(await login('2000000001', 'Hanako2024'), { ok: false, reason: 'password_reset_pending' });
  await db.updateTable('users').set({ status: 'active' }).where('login_id', '=', '2000000001').execute();
  t.ok((await login('2000000001', 'Hanako2024')).ok);
});

t.test('no secret reaches the audit trail', async (t) => {
  const all = await db.selectFrom('audit_events').select('details').execute();
  const text = JSON.stringify(all);
  for (const s of ['Aozora2024', 'User1pass2024', 'User2pass2024', 'wrong5', 'Hanako2024']) t.notMatch(text, s);
});
