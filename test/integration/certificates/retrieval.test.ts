import 'reflect-metadata';
import { createSecureContext } from 'node:tls';
import t from 'tap';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { MAX_RETRIEVAL_ATTEMPTS, orderCertificate } from '../../../src/certificates/orders.ts';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';
import { certificateCustomer, insertUser, KEY_PASSWORD, RETRIEVAL_PASSWORD } from './order-fixtures.ts';

const { app, database } = await buildTestApp(t);
const db = database.db;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const publicUrl = 'https://localhost:8443';
const DAY = 86_400_000;

async function newOrder(opts: { now?: Date; role?: 'master' | 'member' } = {}) {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId, { role: opts.role ?? 'master' });
  const { orderId } = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: opts.now ?? new Date(), publicUrl });
  return { customerId, user, orderId, url: `/certificates/retrieve/${orderId}` };
}

const orderRow = (id: string) => db.selectFrom('certificate_orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Walks to the download page; returns the client on it. */
async function toDownloadPage(url: string) {
  const c = new IbClient(app);
  await c.get(url);
  const sent = await c.post(url, { password: RETRIEVAL_PASSWORD });
  if (sent.statusCode !== 303) throw new Error(`password step: ${sent.statusCode}`);
  await c.get(`${url}/key`);
  const page = await c.post(`${url}/key`, { keyPassword: KEY_PASSWORD, keyPasswordConfirm: KEY_PASSWORD, agree: 'on' });
  if (page.statusCode !== 200) throw new Error(`key step: ${page.statusCode} ${visibleText(page.body).slice(0, 300)}`);
  const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)![1]!;
  return { c, sealed };
}

t.test('the walk: 証明書取得用パスワード入力 → 鍵保護パスワード → 証明書ダウンロード gives <loginId>.pfx once', async (t) => {
  const { user, orderId, url } = await newOrder();
  const c = new IbClient(app);
  const first = await c.get(url);
  t.equal(first.statusCode, 200);
  const text = visibleText(first.body);
  for (const label of ['証明書取得用パスワード入力', 'オーダーID', orderId, 'コモンネーム', user.loginId, '証明書取得用パスワード', '次へ']) t.match(text, label);
  t.equal(first.headers['cache-control'], 'no-store');

  const sent = await c.post(url, { password: RETRIEVAL_PASSWORD });
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, `${url}/key`);
  t.ok(c.cookies.get('renkei_cert_retrieval'), 'the browser that gave the password gets a token');
  t.match(String(sent.headers['set-cookie']), /renkei_cert_retrieval=[^;]+;.*Path=\/certificates\/retrieve\/[0-9a-f-]+;.*HttpOnly;.*Secure;.*SameSite=Strict/);
  const row = await orderRow(orderId);
  t.not(row.verified_token_hash, c.cookies.get('renkei_cert_retrieval'), 'only its hash is stored');

  const keyPage = await c.get(`${url}/key`);
  t.equal(keyPage.statusCode, 200);
  for (const label of ['鍵保護パスワード設定', '鍵保護パスワード', '鍵保護パスワード(確認用)', '電子証明書利用規定', '同意する', '次へ', '365日間']) t.match(visibleText(keyPage.body), label);

  const download = await c.post(`${url}/key`, { keyPassword: KEY_PASSWORD, keyPasswordConfirm: KEY_PASSWORD, agree: 'on' });
  t.equal(download.statusCode, 200);
  t.match(visibleText(download.body), '証明書ダウンロード');
  t.match(visibleText(download.body), '旧形式でダウンロード');
  t.notMatch(download.body, KEY_PASSWORD, 'the page carries the password sealed, never in clear');
  t.equal((await orderRow(orderId)).status, 'open', 'nothing is issued before the download');
  const sealed = /name="sealed" value="([^"]+)"/.exec(download.body)![1]!;

  const file = await c.post(`${url}/download`, { sealed, profile: 'modern' });
  t.equal(file.statusCode, 200);
  t.equal(file.headers['content-type'], 'application/x-pkcs12');
  t.equal(file.headers['content-disposition'], `attachment; filename="${user.loginId}.pfx"`);
  t.equal(file.headers['cache-control'], 'no-store');
  t.doesNotThrow(() => createSecureContext({ pfx: file.rawPayload, passphrase: KEY_PASSWORD }), 'a PKCS#12 file with the 鍵保護パスワード');
  const used = await orderRow(orderId);
  t.match(used, { status: 'issued', verified_token_hash: null });
  const cert = await db.selectFrom('certificates').selectAll().where('id', '=', used.certificate_id!).executeTakeFirstOrThrow();
  t.match(cert, { user_id: user.id, status: 'issued', order_id: orderId, replaces_certificate_id: null });
  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'certificate.issued').where('subject_user_id', '=', user.id).executeTakeFirstOrThrow();
  t.match(audit.details, { orderId, certificateId: cert.id, profile: 'modern' });
  t.notMatch(JSON.stringify(audit.details), KEY_PASSWORD);

  const again = await c.post(`${url}/download`, { sealed, profile: 'modern' });
  t.equal(again.statusCode, 410, 'single use');
  t.match(visibleText(again.body), '既に取得済み');
  const reopened = await new IbClient(app).get(url);
  t.equal(reopened.statusCode, 410);
  t.match(visibleText(reopened.body), '既に取得済み', 'a used order gets a clear page');
  t.equal((await db.selectFrom('certificates').select('id').where('user_id', '=', user.id).execute()).length, 1, 'one certificate');
});

t.test('5 wrong passwords cancel the order; each wrong one says how many are left', async (t) => {
  const { orderId, url } = await newOrder();
  const c = new IbClient(app);
  await c.get(url);
  for (let i = 1; i < MAX_RETRIEVAL_ATTEMPTS; i++) {
    const res = await c.post(url, { password: `Wrong${i}pass` });
    t.equal(res.statusCode, 401);
    t.match(visibleText(res.body), `あと${MAX_RETRIEVAL_ATTEMPTS - i}回`);
  }
  const fifth = await c.post(url, { password: 'Wrong5pass' });
  t.equal(fifth.statusCode, 410);
  t.match(visibleText(fifth.body), '5回誤ったため、このご依頼は取り消されました');
  t.match(await orderRow(orderId), { status: 'cancelled', cancel_reason: 'too_many_attempts', failed_attempts: 5 });
  const late = await new IbClient(app).get(url);
  t.equal(late.statusCode, 410);
  const right = await c.post(url, { password: RETRIEVAL_PASSWORD });
  t.equal(right.statusCode, 410, 'even the right password is refused now');
  const audits = await db.selectFrom('audit_events').select(['type', 'outcome']).where('details', '@>', JSON.stringify({ orderId }) as never).execute();
  t.equal(audits.filter((a) => a.type === 'certificate.retrieval_password_wrong').length, 4);
  t.equal(audits.filter((a) => a.type === 'certificate.order_cancelled').length, 1);
});

t.test('concurrent wrong passwords never exceed the limit (one conditional UPDATE)', async (t) => {
  const { orderId, url } = await newOrder();
  const c = new IbClient(app);
  await c.get(url);
  const csrf = c.csrf();
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.post(url, { _csrf: csrf, password: `Guess${i}wrong` })));
  t.same(results.map((r) => r.statusCode).filter((s) => s !== 401 && s !== 410), [], 'only refusals');
  t.match(await orderRow(orderId), { status: 'cancelled', failed_attempts: 5 });
  t.equal(results.filter((r) => r.statusCode === 401).length, 4, 'exactly 4 counted as "wrong, try again"');
});

t.test('expired, cancelled and unknown orders get a clear page', async (t) => {
  const old = await newOrder({ now: new Date(Date.now() - 31 * DAY) });
  const expired = await new IbClient(app).get(old.url);
  t.equal(expired.statusCode, 410);
  t.match(visibleText(expired.body), '取得期限を過ぎた');
  const replaced = await newOrder();
  await orderCertificate(db, { userId: replaced.user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl });
  const cancelled = await new IbClient(app).get(replaced.url);
  t.equal(cancelled.statusCode, 410);
  t.match(visibleText(cancelled.body), '取り消されています');
  const nul = await new IbClient(app).get('/certificates/retrieve/%00');
  t.equal(nul.statusCode, 400, 'a NUL is refused by the input guard, never a 500');
  for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "x'or'1", 'a'.repeat(90)]) {
    const res = await new IbClient(app).get(`/certificates/retrieve/${id}`);
    t.equal(res.statusCode, 404, `unknown: ${id}`);
    t.match(visibleText(res.body), '見つかりませんでした');
  }
  const post = await new IbClient(app).post('/certificates/retrieve/not-a-uuid', { password: RETRIEVAL_PASSWORD });
  t.ok([403, 404].includes(post.statusCode), 'a post to an unknown order is refused');
});

t.test('the 鍵保護パスワード rules, the terms, and the steps in order', async (t) => {
  const { orderId, url } = await newOrder();
  const stranger = new IbClient(app);
  const noToken = await stranger.get(`${url}/key`);
  t.equal(noToken.statusCode, 403, 'the key step needs the browser that gave the password');
  t.match(visibleText(noToken.body), '証明書取得用パスワード入力');
  const c = new IbClient(app);
  await c.get(url);
  await c.post(url, { password: RETRIEVAL_PASSWORD });
  await c.get(`${url}/key`);
  const cases: Array<[Record<string, string>, string]> = [
    [{ keyPassword: 'Short1pass', keyPasswordConfirm: 'Short1pass', agree: 'on' }, '12文字以上'],
    [{ keyPassword: 'alllettersonlyhere', keyPasswordConfirm: 'alllettersonlyhere', agree: 'on' }, '英字と数字'],
    [{ keyPassword: '123456789012345', keyPasswordConfirm: '123456789012345', agree: 'on' }, '英字と数字'],
    [{ keyPassword: 'KeyProtect 2026', keyPasswordConfirm: 'KeyProtect 2026', agree: 'on' }, '半角英数字'],
    [{ keyPassword: KEY_PASSWORD, keyPasswordConfirm: `${KEY_PASSWORD}9`, agree: 'on' }, '一致しません'],
    [{ keyPassword: KEY_PASSWORD, keyPasswordConfirm: KEY_PASSWORD }, '同意してください'],
    [{ keyPassword: KEY_PASSWORD, keyPasswordConfirm: KEY_PASSWORD, agree: 'yes' }, '入力内容に誤り'],
    [{ keyPassword: KEY_PASSWORD }, '入力内容に誤り'],
  ];
  for (const [form, message] of cases) {
    const res = await c.post(`${url}/key`, form);
    t.equal(res.statusCode, 400, JSON.stringify(form));
    t.match(visibleText(res.body), message);
  }
  t.equal((await orderRow(orderId)).status, 'open');
  const forged = await c.post(`${url}/download`, { sealed: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', profile: 'modern' });
  t.equal(forged.statusCode, 400, 'a forged sealed password is refused');
  const bad = await c.post(`${url}/download`, { sealed: 'abc', profile: 'pem' });
  t.equal(bad.statusCode, 400, 'an unknown profile is refused, not a 500');
  t.equal((await orderRow(orderId)).status, 'open');
});

t.test('form protection: no token, another order\'s token, another browser\'s cookie', async (t) => {
  const a = await newOrder();
  const b = await newOrder();
  const c = new IbClient(app);
  await c.get(a.url);
  const noToken = await c.post(a.url, { _csrf: '', password: RETRIEVAL_PASSWORD });
  t.equal(noToken.statusCode, 403);
  const foreign = await c.post(b.url, { password: RETRIEVAL_PASSWORD });
  t.equal(foreign.statusCode, 403, "a token bound to one order is refused on another");
  t.match(await orderRow(b.orderId), { failed_attempts: 0, verified_token_hash: null });

  // A sealed password lifted from one order does not open another.
  const { c: onA, sealed } = await toDownloadPage(a.url);
  const { c: onB } = await toDownloadPage(b.url);
  void onA;
  const lifted = await onB.post(`${b.url}/download`, { sealed, profile: 'modern' });
  t.equal(lifted.statusCode, 400);
  t.equal((await orderRow(b.orderId)).status, 'open');
  // The download needs the retrieval cookie of the browser that gave the password.
  const cookieless = new IbClient(app);
  await cookieless.get(a.url);
  const noCookie = await cookieless.post(`${a.url}/download`, { sealed, profile: 'modern' });
  t.equal(noCookie.statusCode, 410);
  t.equal((await orderRow(a.orderId)).status, 'open');
});

t.test('two downloads at once: one file, one closed order', async (t) => {
  const { orderId, url, user } = await newOrder();
  const { c, sealed } = await toDownloadPage(url);
  const [x, y] = await Promise.all([c.post(`${url}/download`, { sealed, profile: 'modern' }), c.post(`${url}/download`, { sealed, profile: 'legacy' })]);
  t.same([x.statusCode, y.statusCode].sort(), [200, 410]);
  t.equal((await db.selectFrom('certificates').select('id').where('user_id', '=', user.id).execute()).length, 1);
  t.equal((await orderRow(orderId)).status, 'issued');
});

t.test('a re-issue revokes the previous certificate once the new one is downloaded, not before', async (t) => {
  const customerId = await certificateCustomer(db);
  const user = await insertUser(db, customerId);
  const previous = await issueUserCertificate(db, ca, { userId: user.id, keyProtectionPassword: KEY_PASSWORD, profile: 'modern', validityDays: 365, crlUrl: `${publicUrl}/pki/crl` });
  const { orderId } = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl });
  const url = `/certificates/retrieve/${orderId}`;
  const { c, sealed } = await toDownloadPage(url);
  t.equal((await db.selectFrom('certificates').select('status').where('id', '=', previous.id).executeTakeFirstOrThrow()).status, 'issued', 'still valid while the order is open');
  const file = await c.post(`${url}/download`, { sealed, profile: 'legacy' });
  t.equal(file.statusCode, 200);
  t.match(await db.selectFrom('certificates').selectAll().where('id', '=', previous.id).executeTakeFirstOrThrow(), { status: 'revoked', revoke_reason: 'superseded' });
  const crl = await app.inject({ method: 'GET', url: '/pki/crl' });
  t.ok(crl.rawPayload.includes(Buffer.from(previous.serialNumber, 'hex')), 'listed in the CRL served next');
});

t.test('no download once the user is deleted or the service cancelled', async (t) => {
  const { orderId, url, customerId } = await newOrder();
  const { c, sealed } = await toDownloadPage(url);
  await db.updateTable('customers').set({ certificate_service_status: 'none' }).where('id', '=', customerId).execute();
  const res = await c.post(`${url}/download`, { sealed, profile: 'modern' });
  t.equal(res.statusCode, 410);
  t.equal((await orderRow(orderId)).status, 'open', 'the refused download rolled back');
});

t.test('English', async (t) => {
  const { url } = await newOrder();
  const res = await new IbClient(app).get(`${url}?lang=en`);
  t.match(visibleText(res.body), 'Enter the certificate retrieval password');
  t.match(visibleText(res.body), 'Order ID');
});
