import { sql } from 'kysely';
import t from 'tap';
import { endExpiredGrants, remindExpiringConsents } from '../../../src/partners/consent-expiry.service.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { auditRows, grantsOf, oauthError, refreshError, USERS, userByLoginId } from '../../helpers/fapi.ts';

// DESIGN §15 "Expiry" and §16: API連携の有効期限のお知らせ goes out once, CONSENT_REMINDER_DAYS before
// the end; at the end the grant ends as 連携解除 does (401, invalid_grant, audited with reason expiry);
// a new consent restarts the period. The sweeps take the time as a parameter.
t.setTimeout(240_000);
const server = await startAuthServer(t);
const { db } = server.database;
const DAY = 86_400_000;
const LINKS = `${server.issuer}/ib/links`;

/** Reminders written to the outbox since `since` (the outbox is where the sweep puts them). */
async function remindersSince(since: Date) {
  const rows = await db.selectFrom('mail_outbox').select(['to_address', 'subject', 'text_body']).where('created_at', '>=', since)
    .where('subject', 'like', '%API連携の有効期限のお知らせ%').execute();
  return rows.map((r) => ({ to: r.to_address, subject: r.subject, text: r.text_body }));
}

/** Moves a grant's period so that it ends at `end` (and began long before, as a 90-day consent would). */
async function setPeriod(grantId: string, end: Date): Promise<void> {
  await db.updateTable('grants').set({ granted_at: new Date(end.getTime() - 90 * DAY), expires_at: end }).where('id', '=', grantId).execute();
}

t.test('the reminder goes out once: two runs, and two sweeps at once, send one mail', async (t) => {
  const session = await apiSessionFor(server, USERS.hanako.loginId, USERS.hanako.password);
  const [grant] = await grantsOf(db, session.tc.clientId);
  const now = new Date();
  const run = () => remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS });

  await setPeriod(grant!.id, new Date(now.getTime() + 8 * DAY));
  t.equal(await run(), 0, 'not yet: eight days before the end');

  await setPeriod(grant!.id, new Date(now.getTime() + 6 * DAY));
  const counts = [await run(), await run(), ...(await Promise.all([run(), run(), run()]))];
  t.same(counts.reduce((a, b) => a + b, 0), 1, 'sent by exactly one of five runs');
  const mine = await remindersSince(now);
  t.equal(mine.length, 1, 'one mail in the outbox');
  const hanako = await userByLoginId(db, USERS.hanako.loginId);
  t.equal(mine[0]!.to, hanako.email);
  t.match(mine[0]!.subject, 'API連携の有効期限のお知らせ');
  t.match(mine[0]!.text, /連携先サービス名: テストクライアント/);
  t.match(mine[0]!.text, /提供会社名: \S+/);
  t.match(mine[0]!.text, /有効期限: \d{4}年\d{2}月\d{2}日 \d{2}:\d{2}/);
  t.match(mine[0]!.text, LINKS);
  const claims = await db.selectFrom('sent_notifications').selectAll().where('subject_id', '=', grant!.id).execute();
  t.equal(claims.length, 1, 'recorded under one key');

  t.equal(await remindExpiringConsents(db, { now: new Date(now.getTime() + 3 * DAY), reminderDays: 7, linksUrl: LINKS }), 0,
    'nor later in the window');
});

t.test('the claim and the mail commit together: a failed write leaves neither, and the next run writes both', async (t) => {
  const session = await apiSessionFor(server, USERS.user1.loginId, USERS.user1.password);
  const [grant] = await grantsOf(db, session.tc.clientId);
  const now = new Date();
  await setPeriod(grant!.id, new Date(now.getTime() + 2 * DAY));
  // The outbox refuses the write (as a full disk or a dropped connection would).
  await sql`alter table mail_outbox add constraint jobs_test_refuse check (subject not like '%有効期限%') not valid`.execute(db);
  await t.rejects(remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }));
  await sql`alter table mail_outbox drop constraint jobs_test_refuse`.execute(db);
  t.equal((await db.selectFrom('sent_notifications').select('subject_id').where('subject_id', '=', grant!.id).execute()).length, 0, 'no claim left behind');
  t.equal(await remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }), 1, 'the next run writes it');
  t.equal((await remindersSince(now)).length, 1);
});

t.test('at the end of the period the grant ends: the API answers 401, refresh invalid_grant, audited as expiry', async (t) => {
  const session = await apiSessionFor(server, USERS.hanako.loginId, USERS.hanako.password);
  t.equal((await session.get('/api/v1/accounts')).status, 200, 'works before');
  const [grant] = await grantsOf(db, session.tc.clientId);
  const now = new Date();
  await setPeriod(grant!.id, new Date(now.getTime() + DAY));
  t.equal(await endExpiredGrants(db, { now }), 0, 'a grant still inside its period stays');
  t.equal((await session.get('/api/v1/accounts')).status, 200);

  await setPeriod(grant!.id, new Date(now.getTime() - 60_000));
  const ended = await Promise.all([endExpiredGrants(db, { now }), endExpiredGrants(db, { now })]);
  t.equal(ended[0] + ended[1], 1, 'two sweeps at once end it once');
  t.equal(await endExpiredGrants(db, { now }), 0, 'a rerun finds nothing');

  const row = await db.selectFrom('grants').selectAll().where('id', '=', grant!.id).executeTakeFirstOrThrow();
  t.ok(row.revoked_at, 'ended');
  t.equal(row.ended_by, 'expiry');
  t.equal(await oauthError(session.get('/api/v1/accounts')), 'invalid_token', 'the next API call is 401 invalid_token');
  t.equal(await refreshError(session.c, session.tokens.refresh_token!), 'invalid_grant', 'refresh is invalid_grant');
  const audits = (await auditRows(db, 'grant.revoked')).filter((a) => (a.details as { grantId?: string }).grantId === grant!.id);
  t.equal(audits.length, 1, 'one audit row');
  t.match(audits[0]!.details, { by: 'expiry', reason: 'expiry' });
  t.equal(audits[0]!.subject_user_id, (await userByLoginId(db, USERS.hanako.loginId)).id, 'names the holder');
});

t.test('a new consent through the partner restarts the period and its reminder', async (t) => {
  const first = await apiSessionFor(server, USERS.hanako.loginId, USERS.hanako.password);
  const [old] = await grantsOf(db, first.tc.clientId);
  const now = new Date();
  await setPeriod(old!.id, new Date(now.getTime() + 5 * DAY));
  t.equal(await remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }), 1, 'reminded of the first period');

  const second = await apiSessionFor(server, USERS.hanako.loginId, USERS.hanako.password, { tc: first.tc });
  const grants = await grantsOf(db, first.tc.clientId);
  const renewed = grants.find((g) => g.revoked_at === null)!;
  t.not(renewed.id, old!.id, 'a new grant');
  const period = renewed.expires_at.getTime() - renewed.granted_at.getTime();
  t.equal(Math.round(period / DAY), 90, 'with the full period again');

  t.equal(await remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }), 0, 'nothing due now');
  t.equal(await endExpiredGrants(db, { now: new Date(now.getTime() + 6 * DAY) }), 0, 'the old end no longer ends anything');
  t.equal((await second.get('/api/v1/accounts')).status, 200, 'the renewed link works');
  const nearNewEnd = new Date(renewed.expires_at.getTime() - 3 * DAY);
  t.equal(await remindExpiringConsents(db, { now: nearNewEnd, reminderDays: 7, linksUrl: LINKS }), 1, 'reminded of the new period');
  t.equal(await remindExpiringConsents(db, { now: nearNewEnd, reminderDays: 7, linksUrl: LINKS }), 0, 'once');
});

t.test('a consent shorter than the reminder window is not reminded, nor an ended link', async (t) => {
  const session = await apiSessionFor(server, USERS.user2.loginId, USERS.user2.password);
  const [grant] = await grantsOf(db, session.tc.clientId);
  const now = new Date();
  await db.updateTable('grants').set({ granted_at: new Date(now.getTime() - DAY), expires_at: new Date(now.getTime() + 4 * DAY) }).where('id', '=', grant!.id).execute();
  t.equal(await remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }), 0, 'a 5-day consent: no reminder');

  await setPeriod(grant!.id, new Date(now.getTime() + 4 * DAY));
  await db.updateTable('grants').set({ revoked_at: sql<Date>`now()`, revoked_by: 'user', ended_by: 'holder' }).where('id', '=', grant!.id).execute();
  t.equal(await remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: LINKS }), 0, 'an ended link: no reminder');
});
