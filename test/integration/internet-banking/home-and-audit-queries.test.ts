import t from 'tap';
import {
  AUDIT_PAGE_SIZE, jstDayStart, listAuditUsers, previousLoginAt, recordAudit, searchAuditEvents,
} from '../../../src/audit/audit.repository.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
const user = (loginId: string) => db.selectFrom('users').select(['id', 'login_id']).where('login_id', '=', loginId).executeTakeFirstOrThrow();

t.test('jstDayStart: the instant a Japanese calendar day begins, and only for real days', async (t) => {
  t.same(jstDayStart('2026-11-20'), new Date('2026-11-19T15:00:00Z'));
  t.same(jstDayStart('2024-02-29'), new Date('2024-02-28T15:00:00Z'), 'a leap day');
  for (const bad of ['2026-02-30', '2026-13-45', '2025-02-29', '2026-00-10', '0000-01-01', '0999-12-31', '2026-1-1', '20261120', '', 'yesterday']) {
    t.equal(jstDayStart(bad), undefined, bad);
  }
});

t.test('前回ログイン is the success before the latest one', async (t) => {
  const u = await user('1000000004');
  t.equal(await previousLoginAt(db, u.id), undefined, 'no previous login before the second');
  await recordAudit(db, { type: 'login.success', customerId: corp.id, actorUserId: u.id, actorLoginId: u.login_id });
  t.equal(await previousLoginAt(db, u.id), undefined, 'the first login has none');
  await recordAudit(db, { type: 'login.failure', outcome: 'failure', customerId: corp.id, actorUserId: u.id, actorLoginId: u.login_id });
  await recordAudit(db, { type: 'login.success', customerId: corp.id, actorUserId: u.id, actorLoginId: u.login_id });
  t.type(await previousLoginAt(db, u.id), Date);
});

t.test('searching the audit trail: by customer, by user as actor or subject, by JST days', async (t) => {
  const a = await user('1000000002');
  const b = await user('1000000003');
  await recordAudit(db, { type: 'test.by_a', customerId: corp.id, actorUserId: a.id });
  await recordAudit(db, { type: 'test.about_a', customerId: corp.id, actorUserId: b.id, subjectUserId: a.id });
  await recordAudit(db, { type: 'test.by_b', customerId: corp.id, actorUserId: b.id });
  await recordAudit(db, { type: 'test.other_customer', customerId: null });
  const types = (page: { events: { type: string }[] }) => page.events.map((r) => r.type);
  const all = await searchAuditEvents(db, { customerId: corp.id });
  t.notOk(types(all).includes('test.other_customer'));
  t.same(types(await searchAuditEvents(db, { customerId: corp.id, userId: a.id })).filter((x) => x.startsWith('test.')), ['test.about_a', 'test.by_a'], 'newest first');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
  t.ok(types(await searchAuditEvents(db, { customerId: corp.id, from: today, to: today })).includes('test.by_b'));
  t.same((await searchAuditEvents(db, { customerId: corp.id, from: '2000-01-01', to: '2000-01-02' })).events, []);
  await t.rejects(searchAuditEvents(db, { customerId: corp.id, from: '2026-02-30' }), { status: 400, code: 'invalid_parameter' }, 'a caller that skipped validation gets a 400, never a database error');
  t.ok(all.events.length <= AUDIT_PAGE_SIZE);
});

t.test('paging is keyset on id: every event of the customer once, newest first, whatever is added meanwhile', async (t) => {
  const u = await user('1000000002');
  for (let i = 0; i < AUDIT_PAGE_SIZE + 7; i += 1) await recordAudit(db, { type: 'test.paging', customerId: corp.id, actorUserId: u.id });
  const expected = (await db.selectFrom('audit_events').select('id').where('customer_id', '=', corp.id).orderBy('id', 'desc').execute()).map((r) => r.id);
  const seen: string[] = [];
  let before: string | undefined;
  for (let i = 0; i < 20; i += 1) {
    const page = await searchAuditEvents(db, { customerId: corp.id, before });
    t.ok(page.events.length <= AUDIT_PAGE_SIZE);
    seen.push(...page.events.map((e) => e.id));
    if (i === 0) await recordAudit(db, { type: 'test.meanwhile', customerId: corp.id });
    if (!page.olderThan) break;
    before = page.olderThan;
  }
  t.same(seen, expected, 'no event repeated or skipped; the one added meanwhile is not on later pages');
});

t.test('the users of the filter include deleted ones, whose names label old events', async (t) => {
  const u = await user('1000000003');
  await db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', u.id).execute();
  t.ok((await listAuditUsers(db, corp.id)).some((x) => x.id === u.id));
});
