import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { lastToken, openConfirmation } from './flow-helpers.ts';

// Revocation (DESIGN §5, §14): deleting a user, a group with its users, and ビジネスID管理 解約 revoke the
// users' certificates and cancel their open orders in the change's own transaction.
t.setTimeout(240_000);

const smtp = await startSmtpSink(t);
const { app, database } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, DEV_MAILBOX: 'false' } });
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });
const MASTER = { id: '1000000001', pw: 'Aozora2024', tx: 'Torihiki2024', mail: 'taro.aozora@aozora-shoji.example' };
const corp = await db.selectFrom('customers').select('id').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', corp.id).execute();
const userId = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const issue = async (id: string) => issueUserCertificate(db, ca, { userId: id, keyProtectionPassword: 'KeyProtect2026x', profile: 'modern', validityDays: 365, crlUrl: 'https://localhost:8443/pki/crl' });
const openOrder = async (id: string) => (await db.insertInto('certificate_orders').values({
  user_id: id, kind: 'issue', retrieval_password_hash: '$argon2id$placeholder', expires_at: new Date(Date.now() + 86_400_000), ordered_by_user_id: await userId(MASTER.id),
}).returning('id').executeTakeFirstOrThrow()).id;
const certificate = (id: string) => db.selectFrom('certificates').select(['status', 'revoke_reason', 'revoked_at']).where('id', '=', id).executeTakeFirstOrThrow();
const order = (id: string) => db.selectFrom('certificate_orders').select(['status', 'cancel_reason']).where('id', '=', id).executeTakeFirstOrThrow();
const crlSerials = async () => new x509.X509Crl((await app.inject({ method: 'GET', url: '/pki/crl' })).rawPayload).entries.map((e) => e.serialNumber.toLowerCase());

const master = new IbClient(app);
await master.login(MASTER.id, MASTER.pw);

async function confirm(proposal: Awaited<ReturnType<IbClient['post']>>) {
  const { path, page } = await openConfirmation(master, proposal);
  return { page, done: await master.post(path, { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) }) };
}

t.test('ユーザー削除 revokes the user\'s certificate and cancels the open order', async (t) => {
  const user1 = await userId('1000000002');
  const cert = await issue(user1);
  const pending = await openOrder(user1);
  const others = await issue(await userId('1000000003'));
  await master.get('/ib/business-id/users?mode=delete');
  const { page, done } = await confirm(await master.post('/ib/business-id/users/delete', { userIds: [user1] }));
  t.match(visibleText(page.body), 'API連携サービスの許可と電子証明書も失効します');
  t.equal(done.statusCode, 200);
  t.match(await certificate(cert.id), { status: 'revoked', revoke_reason: 'user_deleted' });
  t.match(await order(pending), { status: 'cancelled', cancel_reason: 'user_deleted' });
  t.match(await certificate(others.id), { status: 'issued' }, 'another user\'s certificate is untouched');
  const revoked = await db.selectFrom('audit_events').select(['type', 'details']).where('subject_user_id', '=', user1).where('type', '=', 'certificate.revoked').execute();
  t.equal(revoked.length, 1, 'an audit row for the revocation');
  const serials = await crlSerials();
  t.ok(serials.includes(cert.serialNumber.toLowerCase()), 'listed in the CRL');
  t.notOk(serials.includes(others.serialNumber.toLowerCase()));
});

t.test('グループ削除 revokes the certificates of the group\'s users', async (t) => {
  const user2 = await userId('1000000003');
  const [cert] = await db.selectFrom('certificates').select(['id', 'serial_number']).where('user_id', '=', user2).where('status', '=', 'issued').execute();
  const group = await db.selectFrom('groups').select('id').where('customer_id', '=', corp.id).where('name', '=', '振込').executeTakeFirstOrThrow();
  await master.get('/ib/business-id/groups?mode=delete');
  const { done } = await confirm(await master.post('/ib/business-id/groups/delete', { groupIds: [group.id] }));
  t.equal(done.statusCode, 200);
  t.match(await certificate(cert!.id), { status: 'revoked', revoke_reason: 'user_deleted' });
  t.ok((await crlSerials()).includes(cert!.serial_number.toLowerCase()));
});

t.test('a revocation that fails rolls the deletion back with it (one transaction)', async (t) => {
  const user3 = await userId('1000000004');
  const cert = await issue(user3);
  // A trigger that refuses the revocation stands in for any failure inside the change.
  const { sql } = await import('kysely');
  await sql`create or replace function refuse_revocation() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`.execute(db);
  await sql`create trigger refuse_revocation before update on certificates for each row when (new.status = 'revoked') execute function refuse_revocation()`.execute(db);
  t.teardown(async () => {
    await sql`drop trigger if exists refuse_revocation on certificates`.execute(db);
  });
  await master.get('/ib/business-id/users?mode=delete');
  const proposal = await master.post('/ib/business-id/users/delete', { userIds: [user3] });
  const { path } = await openConfirmation(master, proposal);
  const res = await master.post(path, { transactionPassword: MASTER.tx, mailToken: lastToken(smtp.mails, MASTER.mail) });
  t.equal(res.statusCode, 500, 'the failure surfaces');
  const row = await db.selectFrom('users').select('deleted_at').where('id', '=', user3).executeTakeFirstOrThrow();
  t.equal(row.deleted_at, null, 'the user was not deleted without the revocation');
  t.match(await certificate(cert.id), { status: 'issued' });
  await sql`drop trigger if exists refuse_revocation on certificates`.execute(db);
});

t.test('ビジネスID管理 解約 (after 電子証明書 解約) leaves no certificate or order of the users alive', async (t) => {
  const user3 = await userId('1000000004');
  const pending = await openOrder(user3);
  await master.get('/ib/settings');
  const refused = await master.post('/ib/settings/business-id/cancel', {});
  t.equal(refused.statusCode, 409, 'the order rule first');
  await master.get('/ib/settings');
  await confirm(await master.post('/ib/settings/certificate/cancel', {}));
  t.match(await order(pending), { status: 'cancelled', cancel_reason: 'certificate_service_cancelled' });
  const live = await db.selectFrom('certificates').innerJoin('users', 'users.id', 'certificates.user_id')
    .select('certificates.id').where('users.customer_id', '=', corp.id).where('certificates.status', '=', 'issued').execute();
  t.equal(live.length, 0, 'every certificate of the customer is revoked');
  await master.get('/ib/settings');
  const { done } = await confirm(await master.post('/ib/settings/business-id/cancel', {}));
  t.match(visibleText(done.body), 'ビジネスID管理の解約 完了');
});
