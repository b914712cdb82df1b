import t from 'tap';
import { sql } from 'kysely';
import { logOutOfInternetBanking } from '../../../src/auth/ib-logout.service.ts';
import {
  createIbSession, endedSessionReason, endIbSession, endIbSessionsOfUsers, IB_ABSOLUTE_TIMEOUT_MS, IB_IDLE_TIMEOUT_MS, touchIbSession,
} from '../../../src/auth/ib-sessions.repository.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { tokenHash } from '../../../src/shared/secret-hash.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const user = (loginId: string) => db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', loginId).executeTakeFirstOrThrow();
const master = await user('1000000001');
const member = await user('1000000002');

t.test('a session is a random token whose hash alone is stored; one per user', async (t) => {
  const first = await createIbSession(db, master.id);
  t.match(first, /^[A-Za-z0-9_-]{43}$/);
  const rows = await db.selectFrom('ib_sessions').select(['token_hash', 'expires_at']).where('user_id', '=', master.id).execute();
  t.same(rows.map((r) => r.token_hash), [tokenHash(first)]);
  t.ok(rows[0]!.expires_at.getTime() <= Date.now() + IB_ABSOLUTE_TIMEOUT_MS);
  t.same(await touchIbSession(db, first), { sessionId: (await db.selectFrom('ib_sessions').select('id').executeTakeFirstOrThrow()).id, userId: master.id });
  const second = await createIbSession(db, master.id);
  t.equal(await touchIbSession(db, first), undefined, 'the earlier session of the user ended');
  t.match(await touchIbSession(db, second), { userId: master.id });
  for (const bad of [undefined, '', 'short', 'A'.repeat(43)]) t.equal(await touchIbSession(db, bad), undefined, String(bad));
});

t.test('idle and absolute limits end a session', async (t) => {
  const token = await createIbSession(db, member.id);
  await db.updateTable('ib_sessions').set({ last_seen_at: new Date(Date.now() - IB_IDLE_TIMEOUT_MS - 1000) }).where('user_id', '=', member.id).execute();
  t.equal(await touchIbSession(db, token), undefined, 'idle');
  const again = await createIbSession(db, member.id);
  await db.updateTable('ib_sessions').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('user_id', '=', member.id).execute();
  t.equal(await touchIbSession(db, again), undefined, 'absolute');
});

t.test('ending sessions: one by its token, or every session of some users', async (t) => {
  const a = await createIbSession(db, master.id);
  const b = await createIbSession(db, member.id);
  await endIbSession(db, a);
  t.equal(await touchIbSession(db, a), undefined);
  await endIbSession(db, 'garbage');
  await endIbSessionsOfUsers(db, []);
  t.ok(await touchIbSession(db, b), 'nothing else ended');
  await endIbSessionsOfUsers(db, [member.id]);
  t.equal(await touchIbSession(db, b), undefined);
});

t.test('logging out ends the session and records it; a dead token records nothing', async (t) => {
  const token = await createIbSession(db, master.id);
  const context = { ip: '192.0.2.1', userAgent: 'tap', requestId: 'req-logout' };
  await logOutOfInternetBanking(db, token, context);
  t.equal(await touchIbSession(db, token), undefined);
  const events = await db.selectFrom('audit_events').select(['type', 'customer_id', 'details', 'ip', 'request_id']).where('type', '=', 'logout').execute();
  t.match(events, [{ type: 'logout', customer_id: master.customer_id, details: { channel: 'internet_banking' }, ip: '192.0.2.1', request_id: 'req-logout' }]);
  await logOutOfInternetBanking(db, token, context);
  await logOutOfInternetBanking(db, undefined, context);
  t.equal((await db.selectFrom('audit_events').select('id').where('type', '=', 'logout').execute()).length, 1);
});

t.test('a session ended by a login elsewhere is known as such; one that expired or logged out is not', async (t) => {
  const first = await createIbSession(db, member.id);
  t.equal(await endedSessionReason(db, first), undefined, 'live: nothing ended');
  const second = await createIbSession(db, member.id);
  t.equal(await touchIbSession(db, first), undefined);
  t.equal(await endedSessionReason(db, first), 'replaced');
  const ev = await db.selectFrom('audit_events').select(['type', 'actor_user_id', 'customer_id']).where('type', '=', 'session.replaced').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.same(ev, { type: 'session.replaced', actor_user_id: member.id, customer_id: member.customer_id }, 'audited for the customer to see');
  await endIbSession(db, second);
  t.equal(await endedSessionReason(db, second), undefined, 'logged out is not "replaced"');
  const third = await createIbSession(db, member.id);
  await db.updateTable('ib_sessions').set({ last_seen_at: sql<Date>`now() - interval '1 hour'` }).where('token_hash', '=', tokenHash(third)).execute();
  await createIbSession(db, member.id);
  t.equal(await endedSessionReason(db, third), undefined, 'an idle-expired session was not replaced, it had already ended');
  t.equal(await endedSessionReason(db, 'not-a-token'), undefined);
  t.equal(await endedSessionReason(db, undefined), undefined);
});
