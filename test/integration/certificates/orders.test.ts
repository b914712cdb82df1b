import 'reflect-metadata';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { certificateStateOfUsers, markFirstLogin, revokeCertificatesOfCustomer, revokeCertificatesOfUsers } from '../../../src/certificates/lifecycle.ts';
import { cancelStaleOrders, isValidRetrievalPassword, MAX_RETRIEVAL_ATTEMPTS, ORDER_VALIDITY_DAYS, orderCertificate } from '../../../src/certificates/orders.ts';
import { currentCrl } from '../../../src/certificates/revocation.ts';
import * as x509 from '@peculiar/x509';
import { createTestDatabase } from '../../helpers/database.ts';
import { certificateCustomer, insertUser, KEY_PASSWORD, lastMailTo, RETRIEVAL_PASSWORD } from './order-fixtures.ts';

const { db } = await createTestDatabase(t);
const ca = await loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 5) });
const crlUrl = 'https://bank.example/pki/crl';
const publicUrl = 'https://bank.example';
const DAY = 86_400_000;

const issue = (userId: string, extra: { replacesCertificateId?: string } = {}) =>
  issueUserCertificate(db, ca, { userId, keyProtectionPassword: KEY_PASSWORD, profile: 'modern', validityDays: 365, crlUrl, ...extra });

t.test('the 証明書取得用パスワード rule: 英数 8 characters or more', async (t) => {
  for (const ok of ['abcd1234', 'ABCDEFGH', '12345678', 'a'.repeat(64)]) t.ok(isValidRetrievalPassword(ok), ok);
  for (const bad of ['abc1234', 'abcd 1234', 'abcd-1234', 'ａｂｃｄ１２３４', 'パスワード1234', '', 'a'.repeat(65)]) t.notOk(isValidRetrievalPassword(bad), `refused: ${bad}`);
});

t.test('an order: stored hashed, expires in 30 days, mail 電子証明書取得のお願い in the same transaction, audited', async (t) => {
  const customerId = await certificateCustomer(db);
  const admin = await insertUser(db, customerId);
  const user = await insertUser(db, customerId, { role: 'member' });
  const now = new Date('2026-12-05T01:00:00Z');
  const { orderId, expiresAt } = await db.transaction().execute((trx) => orderCertificate(trx, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: admin.id, now, publicUrl }));
  t.equal(expiresAt.getTime(), now.getTime() + ORDER_VALIDITY_DAYS * DAY);
  const row = await db.selectFrom('certificate_orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
  t.match(row, { user_id: user.id, kind: 'issue', status: 'open', failed_attempts: 0, ordered_by_user_id: admin.id, certificate_id: null });
  t.match(row.retrieval_password_hash, /^\$argon2id\$/, 'argon2id');
  t.notMatch(row.retrieval_password_hash!, RETRIEVAL_PASSWORD);
  const mail = await lastMailTo(db, `u${user.loginId}@example.test`);
  t.equal(mail?.subject, '【れんけい銀行】電子証明書取得のお願い');
  t.match(mail?.text_body, `オーダーID: ${orderId}`);
  t.match(mail?.text_body, `コモンネーム: ${user.loginId}`);
  t.match(mail?.text_body, `${publicUrl}/certificates/retrieve/${orderId}`);
  t.notMatch(mail!.text_body, RETRIEVAL_PASSWORD, 'the password is never mailed');
  const audit = await db.selectFrom('audit_events').selectAll().where('type', '=', 'certificate.ordered').where('subject_user_id', '=', user.id).executeTakeFirstOrThrow();
  t.match(audit, { customer_id: customerId, actor_user_id: admin.id });
  t.notMatch(JSON.stringify(audit.details), RETRIEVAL_PASSWORD);

  await t.rejects(db.transaction().execute(async (trx) => {
    await orderCertificate(trx, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: admin.id, now, publicUrl });
    throw new Error('rolled back');
  }), /rolled back/);
  t.equal((await db.selectFrom('certificate_orders').select('id').where('user_id', '=', user.id).execute()).length, 1, 'a rolled-back change leaves no order…');
  t.equal((await db.selectFrom('mail_outbox').select('id').where('to_address', '=', `u${user.loginId}@example.test`).execute()).length, 1, '…and no mail');
});

t.test('a weak password or an unknown user orders nothing', async (t) => {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId);
  for (const weak of ['short12', 'has space1', 'ｚｅｎｋａｋｕ１２']) {
    await t.rejects(orderCertificate(db, { userId: user.id, retrievalPassword: weak, orderedByUserId: null, now: new Date(), publicUrl }), { code: 'password_policy', status: 400 });
  }
  await t.rejects(orderCertificate(db, { userId: '00000000-0000-4000-8000-000000000000', retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl }), { code: 'not_found' });
  await db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', user.id).execute();
  await t.rejects(orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl }), { code: 'not_found' }, 'a deleted user');
  t.equal((await db.selectFrom('certificate_orders').select('id').where('user_id', '=', user.id).execute()).length, 0);
});

t.test('a new order cancels the open one; concurrent orders leave exactly one open', async (t) => {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId);
  const first = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl });
  const second = await orderCertificate(db, { userId: user.id, retrievalPassword: 'Another2026', orderedByUserId: null, now: new Date(), publicUrl });
  const rows = await db.selectFrom('certificate_orders').select(['id', 'status', 'cancel_reason']).where('user_id', '=', user.id).execute();
  t.match(rows.find((r) => r.id === first.orderId), { status: 'cancelled', cancel_reason: 'replaced' });
  t.match(rows.find((r) => r.id === second.orderId), { status: 'open' });
  await Promise.all(Array.from({ length: 4 }, () => orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl })));
  const open = await db.selectFrom('certificate_orders').select('id').where('user_id', '=', user.id).where('status', '=', 'open').execute();
  t.equal(open.length, 1, 'the user row lock serialises concurrent orders');
});

t.test('the stale-order sweep cancels orders past 30 days, once, with an audit row', async (t) => {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId);
  const ordered = new Date('2026-10-01T00:00:00Z');
  const { orderId } = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: ordered, publicUrl });
  t.equal(await cancelStaleOrders(db, { now: new Date(ordered.getTime() + ORDER_VALIDITY_DAYS * DAY - 60_000) }), 0, 'not before its expiry');
  t.ok((await cancelStaleOrders(db, { now: new Date(ordered.getTime() + ORDER_VALIDITY_DAYS * DAY + 60_000) })) >= 1);
  t.match(await db.selectFrom('certificate_orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow(), { status: 'cancelled', cancel_reason: 'expired' });
  t.equal(await cancelStaleOrders(db, { now: new Date(ordered.getTime() + ORDER_VALIDITY_DAYS * DAY + 120_000) }), 0, 'a rerun cancels nothing');
  const audits = await db.selectFrom('audit_events').select('details').where('type', '=', 'certificate.order_cancelled').where('subject_user_id', '=', user.id).execute();
  t.equal(audits.length, 1);
});

t.test('revoking users and customers: issued certificates revoked, open orders cancelled, in the CRL', async (t) => {
  const customerId = await certificateCustomer(db);
  const a = await insertUser(db, customerId);
  const b = await insertUser(db, customerId, { role: 'member' });
  const other = await insertUser(db, await certificateCustomer(db));
  const certA = await issue(a.id);
  const certB = await issue(b.id);
  const certOther = await issue(other.id);
  const order = await orderCertificate(db, { userId: a.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl });
  const now = new Date();
  const result = await db.transaction().execute((trx) => revokeCertificatesOfUsers(trx, [a.id], 'user_deleted', now));
  t.same(result, { revoked: [certA.id], cancelledOrders: [order.orderId] });
  t.match(await db.selectFrom('certificates').selectAll().where('id', '=', certA.id).executeTakeFirstOrThrow(), { status: 'revoked', revoke_reason: 'user_deleted' });
  t.match(await db.selectFrom('certificate_orders').selectAll().where('id', '=', order.orderId).executeTakeFirstOrThrow(), { status: 'cancelled', cancel_reason: 'user_deleted' });
  t.same(await db.transaction().execute((trx) => revokeCertificatesOfUsers(trx, [a.id], 'user_deleted', now)), { revoked: [], cancelledOrders: [] }, 'twice is a no-op');
  const customer = await db.transaction().execute((trx) => revokeCertificatesOfCustomer(trx, customerId, 'certificate_service_cancelled', now));
  t.same(customer.revoked, [certB.id]);
  t.equal((await db.selectFrom('certificates').select('status').where('id', '=', certOther.id).executeTakeFirstOrThrow()).status, 'issued', 'another customer untouched');
  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'certificate.revoked').where('subject_user_id', '=', b.id).executeTakeFirstOrThrow();
  t.match(audit.details, { certificateId: certB.id, reason: 'certificate_service_cancelled' });
  const crl = new x509.X509Crl(await currentCrl(db, ca));
  t.ok(crl.findRevoked(certA.serialNumber), 'the CRL is re-signed with the revoked certificates');
  t.ok(crl.findRevoked(certB.serialNumber));
  t.notOk(crl.findRevoked(certOther.serialNumber));
});

t.test('certificateStateOfUsers: certificate, validity end and open order per user', async (t) => {
  const customerId = await certificateCustomer(db);
  const withCert = await insertUser(db, customerId);
  const withOrder = await insertUser(db, customerId, { role: 'member' });
  const nothing = await insertUser(db, customerId, { role: 'member' });
  const cert = await issue(withCert.id);
  const order = await orderCertificate(db, { userId: withOrder.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl });
  const state = await certificateStateOfUsers(db, customerId);
  t.equal(state.size, 3);
  t.match(state.get(withCert.id), { hasCertificate: true, openOrder: null });
  t.equal(state.get(withCert.id)!.notAfter!.getTime(), cert.certificate.notAfter.getTime());
  t.match(state.get(withOrder.id), { hasCertificate: false, notAfter: null, openOrder: { orderId: order.orderId, kind: 'issue' } });
  t.same(state.get(nothing.id), { hasCertificate: false, notAfter: null, openOrder: null });
  const later = await certificateStateOfUsers(db, customerId, new Date(Date.now() + 400 * DAY));
  t.equal(later.get(withCert.id)!.hasCertificate, false, 'an expired certificate does not count');
});

t.test('markFirstLogin retires the renewed certificate once', async (t) => {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId);
  const old = await issue(user.id);
  const renewed = await issue(user.id, { replacesCertificateId: old.id });
  t.equal((await db.selectFrom('certificates').select('status').where('id', '=', old.id).executeTakeFirstOrThrow()).status, 'issued', 'valid until the new one is used');
  const now = new Date();
  t.same(await db.transaction().execute((trx) => markFirstLogin(trx, renewed.id, now)), { retiredCertificateId: old.id });
  t.match(await db.selectFrom('certificates').selectAll().where('id', '=', old.id).executeTakeFirstOrThrow(), { status: 'revoked', revoke_reason: 'superseded' });
  t.equal((await db.selectFrom('certificates').select('first_login_at').where('id', '=', renewed.id).executeTakeFirstOrThrow()).first_login_at?.getTime(), now.getTime());
  t.same(await db.transaction().execute((trx) => markFirstLogin(trx, renewed.id, new Date())), { retiredCertificateId: null }, 'later logins change nothing');
  const plain = await issue((await insertUser(db, customerId, { role: 'member' })).id);
  t.same(await markFirstLogin(db, plain.id, now), { retiredCertificateId: null }, 'a certificate that renews nothing retires nothing');
  await t.rejects(issue(user.id, { replacesCertificateId: old.id }), 'a certificate is renewed once (unique successor)');
  t.equal(MAX_RETRIEVAL_ATTEMPTS, 5);
});
