import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { endGrant, revokeGrantsOfUsers } from '../../../src/partners/grants.service.ts';
import { endLink, linksOf, type LinkViewer } from '../../../src/partners/links.service.ts';
import { checkGrantOfCall as checkGrant } from '../../../src/business-id/grant-check.repository.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertGrant } from '../business-id/grant-fixture.ts';

t.setTimeout(120_000);

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });

const user = (loginId: string) => db.selectFrom('users').select(['id', 'customer_id']).where('login_id', '=', loginId).executeTakeFirstOrThrow();
const master = await user('1000000001');
const user1 = await user('1000000002');
const user2 = await user('1000000003');
const user3 = await user('1000000004');
const hanako = await user('2000000001');
const corp = master.customer_id;

const viewer = (u: { id: string; customer_id: string }, seesCustomer: boolean): LinkViewer => ({ userId: u.id, customerId: u.customer_id, seesCustomer });
const grantRow = (id: string) => db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const ids = (rows: { grantId: string }[]) => rows.map((r) => r.grantId).sort();

async function refused(t: Test, p: Promise<unknown>, what: string) {
  const err = await p.then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AppError && err.status === 404 && err.code === 'not_found', `${what}: 404 not_found`);
}

/** Provider artifacts under an oidc grant: the Grant itself and a refresh token issued under it. */
async function providerArtifacts(oidcGrantId: string) {
  await db.insertInto('oidc_payloads').values([
    { model: 'Grant', id: oidcGrantId, payload: '{}', grant_id: null, uid: null, user_code: null, expires_at: null, consumed_at: null },
    { model: 'RefreshToken', id: `rt-${oidcGrantId}`, payload: '{}', grant_id: oidcGrantId, uid: null, user_code: null, expires_at: null, consumed_at: null },
  ]).execute();
}
const artifactCount = async (oidcGrantId: string) => Number((await db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll().as('n'))
  .where((eb) => eb.or([eb('grant_id', '=', oidcGrantId), eb('id', '=', oidcGrantId)])).executeTakeFirstOrThrow()).n);

t.test('who sees which links', async (t) => {
  const gMaster = await insertGrant(db, master.id);
  const gU1 = await insertGrant(db, user1.id);
  const gU3 = await insertGrant(db, user3.id);
  const gHanako = await insertGrant(db, hanako.id);

  t.same(ids((await linksOf(db, viewer(user1, false))).active), [gU1], 'a member sees only their own');
  t.same(ids((await linksOf(db, viewer(master, true))).active), [gMaster, gU1, gU3].sort(), 'the master sees every user\'s of the customer');
  t.same(ids((await linksOf(db, viewer(user3, true))).active), [gMaster, gU1, gU3].sort(), 'so does a グループ・ユーザー権限設定 holder');
  t.same(ids((await linksOf(db, viewer(hanako, false))).active), [gHanako], 'an individual sees theirs');
  t.same(ids((await linksOf(db, viewer(hanako, true))).active), [gHanako], 'and never another customer\'s');

  const row = (await linksOf(db, viewer(user1, false))).active[0]!;
  t.equal(row.companyName, '株式会社テスト連携', '提供会社名 is the partner\'s legal name');
  t.equal(row.serviceName, 'test-client-issue5', 'a client without client_name is named by its id');
  t.same(row.scopes, ['balances']);
  t.equal(row.lastUsedAt, null);
  t.equal(row.endedAt, null);

  // Clean up for the next tests: every link ends.
  await revokeGrantsOfUsers(db, { userIds: [master.id, user1.id, user3.id, hanako.id], by: 'system' });
});

t.test('who may end which link; each ending is audited with customer, user and who ended it', async (t) => {
  const gU1 = await insertGrant(db, user1.id);
  const gHanako = await insertGrant(db, hanako.id);
  const oidcU1 = (await grantRow(gU1)).oidc_grant_id!;
  await providerArtifacts(oidcU1);

  await refused(t, endLink(db, viewer(user2, false), gU1), 'another member');
  await refused(t, endLink(db, viewer(master, true), gHanako), 'another customer\'s administrator');
  await refused(t, endLink(db, viewer(user2, false), '00000000-0000-4000-8000-000000000000'), 'an unknown grant');
  t.equal((await grantRow(gU1)).revoked_at, null, 'the refusals changed nothing');

  await endLink(db, viewer(user3, true), gU1, { ip: '127.0.0.1', userAgent: 'test' });
  const ended = await grantRow(gU1);
  t.ok(ended.revoked_at, 'ended at once');
  t.equal(ended.ended_by, 'administrator', 'by an administrator');
  t.equal(ended.revoked_by, 'administrator');
  t.equal(await artifactCount(oidcU1), 0, 'the provider grant and its refresh token are gone');
  const audit = await db.selectFrom('audit_events').selectAll().where('type', '=', 'grant.revoked').orderBy('id', 'desc').executeTakeFirstOrThrow();
  t.equal(audit.customer_id, corp, 'the audit row names the customer');
  t.equal(audit.subject_user_id, user1.id, 'the holder');
  t.equal(audit.actor_user_id, user3.id, 'and who ended it');
  t.equal(audit.details['by'], 'administrator');
  t.equal(audit.details['grantId'], gU1);
  t.equal(audit.ip, '127.0.0.1');

  await refused(t, endLink(db, viewer(user3, true), gU1), 'a link already ended');

  await endLink(db, viewer(hanako, false), gHanako);
  t.equal((await grantRow(gHanako)).ended_by, 'holder', 'the holder\'s own');
  const hanakoAudit = await db.selectFrom('audit_events').selectAll().where('type', '=', 'grant.revoked').where(sql<boolean>`details->>'grantId' = ${gHanako}`).executeTakeFirstOrThrow();
  t.equal(hanakoAudit.customer_id, hanako.customer_id);
  t.equal(hanakoAudit.actor_user_id, hanako.id);

  const mine = await insertGrant(db, user1.id);
  await endLink(db, viewer(user1, false), mine);
  t.equal((await grantRow(mine)).ended_by, 'holder', 'a member ends their own');

  const list = await linksOf(db, viewer(master, true));
  t.same(list.active, [], 'nothing active');
  const endedRows = list.ended.filter((r) => r.grantId === gU1 || r.grantId === mine);
  t.equal(endedRows.length, 2, 'ended links are listed under 終了した連携');
  t.same(endedRows.map((r) => r.endedBy).sort(), ['administrator', 'holder']);
});

t.test('two endings at once end the link once', async (t) => {
  const g = await insertGrant(db, user1.id);
  const results = await Promise.allSettled([endLink(db, viewer(user1, false), g), endLink(db, viewer(master, true), g)]);
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one wins');
  t.equal(Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('type', '=', 'grant.revoked')
    .where(sql<boolean>`details->>'grantId' = ${g}`).executeTakeFirstOrThrow()).n), 1, 'one audit row');
});

t.test('endGrant: expiry ends only expired grants; user and group changes say so', async (t) => {
  const g = await insertGrant(db, user1.id);
  t.equal(await endGrant(db, { grantId: g, by: 'expiry' }), false, 'a grant within its period is not ended by expiry');
  await db.updateTable('grants').set({ granted_at: new Date(Date.now() - 3 * 86_400_000), expires_at: new Date(Date.now() - 1000) }).where('id', '=', g).execute();
  let list = await linksOf(db, viewer(user1, false));
  t.equal(list.ended.find((r) => r.grantId === g)?.endedBy, 'expiry', 'an expired grant is listed as ended by expiry before any sweep');
  t.equal(await endGrant(db, { grantId: g, by: 'expiry' }), true);
  t.equal(await endGrant(db, { grantId: g, by: 'expiry' }), false, 'twice is once');
  const row = await grantRow(g);
  t.equal(row.ended_by, 'expiry');
  t.equal(row.revoked_by, 'system');
  const audit = await db.selectFrom('audit_events').selectAll().where('type', '=', 'grant.revoked').where(sql<boolean>`details->>'grantId' = ${g}`).executeTakeFirstOrThrow();
  t.equal(audit.customer_id, corp);
  t.equal(audit.actor_user_id, null, 'nobody ended it');
  t.equal(audit.details['by'], 'expiry');

  const g2 = await insertGrant(db, user2.id);
  t.equal(await revokeGrantsOfUsers(db, { userIds: [user2.id], by: 'group_change', reason: 'group_deleted', actorUserId: master.id }), 1);
  t.equal((await grantRow(g2)).ended_by, 'group_change');
  t.equal((await grantRow(g2)).revoked_by, 'administrator', 'revoked_by keeps its older word');
  list = await linksOf(db, viewer(master, true));
  t.equal(list.ended.find((r) => r.grantId === g2)?.endedBy, 'group_change');

  // Ended more than a year ago: no longer listed.
  const old = await insertGrant(db, user1.id);
  await endGrant(db, { grantId: old, by: 'holder', actorUserId: user1.id });
  await db.updateTable('grants').set({ granted_at: new Date(Date.now() - 500 * 86_400_000), expires_at: new Date(Date.now() - 400 * 86_400_000), revoked_at: new Date(Date.now() - 420 * 86_400_000) }).where('id', '=', old).execute();
  list = await linksOf(db, viewer(user1, false));
  t.notOk(list.ended.some((r) => r.grantId === old), 'links ended over a year ago are not listed');
});

t.test('最終利用日時: the resource API\'s grant check records the last use at most once a minute', async (t) => {
  const g = await insertGrant(db, user1.id);
  const { oidc_grant_id: oidc, client_id: client } = await grantRow(g);
  t.equal((await checkGrant(db, oidc!, client, 'jti-1')).ok, true);
  const first = (await grantRow(g)).last_used_at;
  t.ok(first, 'the first call records the use');
  await checkGrant(db, oidc!, client, 'jti-1');
  t.same((await grantRow(g)).last_used_at, first, 'a call within the minute writes nothing');
  await db.updateTable('grants').set({ last_used_at: new Date(Date.now() - 120_000) }).where('id', '=', g).execute();
  await checkGrant(db, oidc!, client, 'jti-1');
  t.ok((await grantRow(g)).last_used_at!.getTime() > Date.now() - 60_000, 'an older record is moved on');
  t.equal((await checkGrant(db, oidc!, 'another-client', 'jti-1')).ok, false, 'another client\'s token');
  await endGrant(db, { grantId: g, by: 'holder', actorUserId: user1.id });
  const before = (await grantRow(g)).last_used_at;
  await db.updateTable('grants').set({ last_used_at: new Date(Date.now() - 120_000) }).where('id', '=', g).execute();
  t.equal((await checkGrant(db, oidc!, client, 'jti-1')).ok, false, 'an ended grant is refused');
  t.ok((await grantRow(g)).last_used_at!.getTime() < before!.getTime(), 'and its refused calls are not uses');
  const row = (await linksOf(db, viewer(user1, false))).ended.find((r) => r.grantId === g);
  t.ok(row?.lastUsedAt, 'the list carries 最終利用日時');
});
