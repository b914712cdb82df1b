import 'reflect-metadata';
import { createSecureContext } from 'node:tls';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { markFirstLogin } from '../../../src/certificates/lifecycle.ts';
import { orderCertificate } from '../../../src/certificates/orders.ts';
import { sendRenewalNotices } from '../../../src/certificates/renewal.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { clientCertHeader } from '../../helpers/client-certificates.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { certificateCustomer, insertUser, KEY_PASSWORD, lastMailTo, RETRIEVAL_PASSWORD } from './order-fixtures.ts';

const env = { TRUST_PROXY: 'true', TRUSTED_PROXIES: '127.0.0.1', CLIENT_CERT_HEADER: 'client-cert' };
const { app, database, config } = await buildTestApp(t, { env });
const { app: mtls } = await buildTestApp(t, { env, database, build: { listener: 'mtls' } });
const db = database.db;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const publicUrl = config.publicUrl;
const mtlsUrl = config.mtlsPublicUrl;
const DAY = 86_400_000;
const NEW_KEY = 'NewKeyProtect2027';

/** A user with a certificate retrieved through an order (so it has a 証明書取得用パスワード), valid `days`. */
async function certifiedUser(opts: { days?: number; withOrder?: boolean; customerId?: string } = {}) {
  const customerId = opts.customerId ?? (await certificateCustomer(db));
  const user = await insertUser(db, customerId, opts.customerId ? { role: 'member' } : {});
  let orderId: string | undefined;
  if (opts.withOrder ?? true) ({ orderId } = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl }));
  const cert = await issueUserCertificate(db, ca, {
    userId: user.id, keyProtectionPassword: KEY_PASSWORD, profile: 'modern', validityDays: opts.days ?? 20, crlUrl: `${publicUrl}/pki/crl`, ...(orderId ? { orderId } : {}),
  });
  if (orderId) await db.updateTable('certificate_orders').set({ status: 'issued', closed_at: new Date(), certificate_id: cert.id }).where('id', '=', orderId).execute();
  return { customerId, user, cert, header: clientCertHeader(cert.certificate.toString('pem')), email: `u${user.loginId}@example.test` };
}

const certRow = (id: string) => db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

t.test('電子証明書更新のご案内: within CERT_RENEWAL_NOTICE_DAYS, once, with both ways', async (t) => {
  t.equal(config.certRenewalNoticeDays, 30, 'default 30 days');
  const due = await certifiedUser({ days: 20 });
  const later = await certifiedUser({ days: 60 });
  const noOrder = await certifiedUser({ days: 10, withOrder: false });
  const inactive = await certifiedUser({ days: 10 });
  await db.updateTable('customers').set({ certificate_service_status: 'none' }).where('id', '=', inactive.customerId).execute();
  const revoked = await certifiedUser({ days: 10 });
  await db.updateTable('certificates').set({ status: 'revoked', revoked_at: new Date(), revoke_reason: 'key_compromise' }).where('id', '=', revoked.cert.id).execute();

  const now = new Date();
  const written = await sendRenewalNotices(db, { now, noticeDays: config.certRenewalNoticeDays, publicUrl, mtlsPublicUrl: mtlsUrl });
  t.ok(written >= 2);
  const mail = await lastMailTo(db, due.email);
  t.equal(mail?.subject, '【れんけい銀行】電子証明書更新のご案内');
  t.match(mail?.text_body, `${mtlsUrl}/certificates/renew`, 'with the current certificate');
  const order = await db.selectFrom('certificate_orders').selectAll().where('renews_certificate_id', '=', due.cert.id).executeTakeFirstOrThrow();
  t.match(order, { kind: 'renewal', status: 'open', user_id: due.user.id });
  t.equal(order.expires_at.getTime(), due.cert.certificate.notAfter.getTime(), 'open until the certificate ends');
  const previous = await db.selectFrom('certificate_orders').select('retrieval_password_hash').where('certificate_id', '=', due.cert.id).executeTakeFirstOrThrow();
  t.equal(order.retrieval_password_hash, previous.retrieval_password_hash, 'guarded by the previous 証明書取得用パスワード');
  t.match(mail?.text_body, `${publicUrl}/certificates/retrieve/${order.id}`, 'and the password way');
  const onlyCert = await lastMailTo(db, noOrder.email);
  t.match(onlyCert?.text_body, '/certificates/renew');
  t.notMatch(onlyCert!.text_body, '/certificates/retrieve/', 'no password way without a previous password');
  const notice = async (email: string) => (await lastMailTo(db, email))?.subject.includes('更新');
  t.equal(await notice(later.email), false, 'not yet');
  t.equal(await notice(inactive.email), false, 'not when the service is off');
  t.equal(await notice(revoked.email), false, 'not for a revoked certificate');

  t.equal(await sendRenewalNotices(db, { now: new Date(now.getTime() + DAY), noticeDays: 30, publicUrl, mtlsPublicUrl: mtlsUrl }), 0, 'once per certificate');
  t.equal((await db.selectFrom('mail_outbox').select('id').where('to_address', '=', due.email).where('subject', 'like', '%更新%').execute()).length, 1);
  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'certificate.renewal_notice_sent').where('subject_user_id', '=', due.user.id).execute();
  t.equal(audit.length, 1);
});

t.test('renewal with the previous 証明書取得用パスワード; the old certificate lasts until the new one is used', async (t) => {
  const holder = await certifiedUser({ days: 15 });
  await sendRenewalNotices(db, { now: new Date(), noticeDays: 30, publicUrl, mtlsPublicUrl: mtlsUrl });
  const order = await db.selectFrom('certificate_orders').select('id').where('renews_certificate_id', '=', holder.cert.id).where('status', '=', 'open').executeTakeFirstOrThrow();
  const url = `/certificates/retrieve/${order.id}`;
  const c = new IbClient(app);
  const first = await c.get(url);
  t.match(visibleText(first.body), '前回の電子証明書取得時にお使いになった証明書取得用パスワード');
  t.equal((await c.post(url, { password: 'NotTheOld123' })).statusCode, 401);
  t.equal((await c.post(url, { password: RETRIEVAL_PASSWORD })).statusCode, 303);
  await c.get(`${url}/key`);
  const page = await c.post(`${url}/key`, { keyPassword: NEW_KEY, keyPasswordConfirm: NEW_KEY, agree: 'on' });
  const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)![1]!;
  const file = await c.post(`${url}/download`, { sealed, profile: 'modern' });
  t.equal(file.statusCode, 200);
  t.equal(file.headers['content-disposition'], `attachment; filename="${holder.user.loginId}.pfx"`);
  t.doesNotThrow(() => createSecureContext({ pfx: file.rawPayload, passphrase: NEW_KEY }));
  const renewed = await db.selectFrom('certificates').selectAll().where('replaces_certificate_id', '=', holder.cert.id).executeTakeFirstOrThrow();
  t.match(renewed, { status: 'issued', user_id: holder.user.id, order_id: order.id });
  t.equal((await certRow(holder.cert.id)).status, 'issued', 'the old certificate stays valid…');
  await db.transaction().execute((trx) => markFirstLogin(trx, renewed.id, new Date()));
  t.match(await certRow(holder.cert.id), { status: 'revoked', revoke_reason: 'superseded' }, '…until the new one logs in');

  // The renewed certificate can itself be renewed with the same password next year.
  const next = await db.selectFrom('certificate_orders').select('retrieval_password_hash').where('id', '=', order.id).executeTakeFirstOrThrow();
  t.ok(next.retrieval_password_hash);
});

t.test('renewal with the current certificate on the mutual-TLS origin', async (t) => {
  const holder = await certifiedUser({ days: 25 });
  await sendRenewalNotices(db, { now: new Date(), noticeDays: 30, publicUrl, mtlsPublicUrl: mtlsUrl });
  const pending = await db.selectFrom('certificate_orders').select('id').where('renews_certificate_id', '=', holder.cert.id).where('status', '=', 'open').executeTakeFirstOrThrow();
  const c = new IbClient(mtls);
  const h = { 'client-cert': holder.header };
  const show = await c.get('/certificates/renew', h);
  t.equal(show.statusCode, 200);
  t.equal(show.headers.vary, 'Client-Cert');
  const text = visibleText(show.body);
  for (const label of ['電子証明書の更新', holder.user.loginId, '鍵保護パスワード', '鍵保護パスワード(確認用)', '同意する', '次へ']) t.match(text, label);
  t.equal((await c.post('/certificates/renew', { keyPassword: 'short1', keyPasswordConfirm: 'short1', agree: 'on' }, h)).statusCode, 400);
  const page = await c.post('/certificates/renew', { keyPassword: NEW_KEY, keyPasswordConfirm: NEW_KEY, agree: 'on' }, h);
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '証明書ダウンロード');
  const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)![1]!;
  const other = await certifiedUser({ days: 25 });
  const stolen = await c.post('/certificates/renew/download', { sealed, profile: 'modern' }, { 'client-cert': other.header });
  t.equal(stolen.statusCode, 403, "another certificate's page is refused (form token bound to the certificate)");
  const file = await c.post('/certificates/renew/download', { sealed, profile: 'legacy' }, h);
  t.equal(file.statusCode, 200);
  t.equal(file.headers['content-type'], 'application/x-pkcs12');
  t.doesNotThrow(() => createSecureContext({ pfx: file.rawPayload, passphrase: NEW_KEY }));
  const renewed = await db.selectFrom('certificates').selectAll().where('replaces_certificate_id', '=', holder.cert.id).executeTakeFirstOrThrow();
  t.equal(renewed.status, 'issued');
  t.equal((await certRow(holder.cert.id)).status, 'issued', 'old one valid until the new one logs in');
  t.match(await db.selectFrom('certificate_orders').selectAll().where('id', '=', pending.id).executeTakeFirstOrThrow(), { status: 'cancelled', cancel_reason: 'replaced' }, 'the mailed password way is closed');
  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'certificate.issued').where('subject_user_id', '=', holder.user.id).executeTakeFirstOrThrow();
  t.match(audit.details, { via: 'certificate', renews: holder.cert.id, profile: 'legacy' });

  const again = await c.get('/certificates/renew', h);
  t.equal(again.statusCode, 409, 'a certificate is renewed once');
  t.match(visibleText(again.body), '既に更新済み');
  const replay = await c.post('/certificates/renew/download', { sealed, profile: 'modern' }, h);
  t.equal(replay.statusCode, 409);
  t.equal((await db.selectFrom('certificates').select('id').where('replaces_certificate_id', '=', holder.cert.id).execute()).length, 1);
});

t.test('renewal refuses without a valid certificate of the bank', async (t) => {
  const c = new IbClient(mtls);
  const none = await c.get('/certificates/renew');
  t.equal(none.statusCode, 403);
  t.match(visibleText(none.body), '現在の電子証明書を確認できなかった');
  const revoked = await certifiedUser();
  await db.updateTable('certificates').set({ status: 'revoked', revoked_at: new Date(), revoke_reason: 'key_compromise' }).where('id', '=', revoked.cert.id).execute();
  t.equal((await c.get('/certificates/renew', { 'client-cert': revoked.header })).statusCode, 403, 'revoked');
  const spoofed = await mtls.inject({ method: 'GET', url: '/certificates/renew', remoteAddress: '10.9.9.9', headers: { accept: 'text/html', 'client-cert': (await certifiedUser()).header } });
  t.equal(spoofed.statusCode, 403, 'the header counts only from a trusted proxy');
  const inactive = await certifiedUser();
  await db.updateTable('customers').set({ certificate_service_status: 'none' }).where('id', '=', inactive.customerId).execute();
  t.equal((await c.get('/certificates/renew', { 'client-cert': inactive.header })).statusCode, 403, 'service cancelled');
  const ok = await certifiedUser();
  await c.get('/certificates/renew', { 'client-cert': ok.header });
  t.equal((await c.post('/certificates/renew', { _csrf: '', keyPassword: NEW_KEY, keyPasswordConfirm: NEW_KEY, agree: 'on' }, { 'client-cert': ok.header })).statusCode, 403, 'form protection');
  t.equal((await app.inject({ method: 'GET', url: '/certificates/renew', headers: { 'client-cert': ok.header } })).statusCode, 404, 'not on the main origin');
  t.equal((await mtls.inject({ method: 'GET', url: `/certificates/retrieve/00000000-0000-4000-8000-000000000000` })).statusCode, 404, 'retrieval is not on the mutual-TLS origin');
});

t.test('a re-issue closes pending renewals', async (t) => {
  const holder = await certifiedUser({ days: 10 });
  await sendRenewalNotices(db, { now: new Date(), noticeDays: 30, publicUrl, mtlsPublicUrl: mtlsUrl });
  const pending = await db.selectFrom('certificate_orders').select('id').where('renews_certificate_id', '=', holder.cert.id).where('status', '=', 'open').executeTakeFirstOrThrow();
  const { orderId } = await orderCertificate(db, { userId: holder.user.id, retrievalPassword: 'Reissue2026', orderedByUserId: null, now: new Date(), publicUrl });
  const url = `/certificates/retrieve/${orderId}`;
  const c = new IbClient(app);
  await c.get(url);
  await c.post(url, { password: 'Reissue2026' });
  await c.get(`${url}/key`);
  const page = await c.post(`${url}/key`, { keyPassword: NEW_KEY, keyPasswordConfirm: NEW_KEY, agree: 'on' });
  const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)![1]!;
  t.equal((await c.post(`${url}/download`, { sealed, profile: 'modern' })).statusCode, 200);
  t.match(await certRow(holder.cert.id), { status: 'revoked', revoke_reason: 'superseded' });
  t.match(await db.selectFrom('certificate_orders').selectAll().where('id', '=', pending.id).executeTakeFirstOrThrow(), { status: 'cancelled', cancel_reason: 'superseded' });
  const gone = await new IbClient(app).get(`/certificates/retrieve/${pending.id}`);
  t.equal(gone.statusCode, 410);
});
