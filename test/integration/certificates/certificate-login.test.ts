import { createSecureContext } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { ensureDemoCertificate } from '../../../src/certificates/demo-certificate.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { revokeCertificate } from '../../../src/certificates/revocation.ts';
import { DEMO_CERTIFICATE } from '../../../src/db/seed/demo-data.ts';
import { hashSecret, tokenHash } from '../../../src/shared/secret-hash.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { alertOf, bankIssuer, clientCertHeader, csrfOf, foreignIssuer, makeClientCertificate, TlsBrowser, type TlsClientIdentity } from '../../helpers/client-certificates.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';
import { startJourney, TITLES } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

/**
 * Certificate login (DESIGN §14, seed 000 手順1-1) over the real listeners: node:https clients present
 * real client certificates to the mutual-TLS origin, and the session continues on the main origin
 * through the single-use handoff. Every refusal is checked for its message and its audit row.
 */
t.setTimeout(300_000);

const server = await startAuthServer(t);
const { db } = server.database;
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const crlUrl = `${server.issuer}/pki/crl`;
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'renkei-cert-login-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));

const MIDORI = { loginId: DEMO_CERTIFICATE.loginId, password: 'Midori2024', name: '緑川 誠' };
const TEXT = {
  noCertificate: '電子証明書が提示されませんでした。',
  expired: 'この電子証明書は有効期限が切れています。',
  revoked: 'この電子証明書は失効しています。',
  unknownCa: 'この電子証明書は当行が発行したものではありません。',
  notFound: 'この電子証明書は当行で確認できませんでした。',
  otherUser: 'この電子証明書のご利用者は登録されていません。',
  locked: 'ログインパスワードを所定の回数誤ったため、ご利用を停止しています。',
  inactive: '電子証明書サービスのお申込みがないか、解約されています。',
  wrong: 'ログインパスワードが正しくありません。',
  handoff: 'ログインの有効期限が切れたか、このログインはすでに使用されています。',
};

const demoPfxPath = await ensureDemoCertificate(db, ca, { ...DEMO_CERTIFICATE, dataDir, crlUrl, validityDays: 365 });
const demoPfx = await readFile(demoPfxPath!);
/** A state as the main origin hands out (tests that never complete a login need no cookie for it). */
const STATE = 's'.repeat(43);
const PAGE = `/ib/certificate-login?state=${STATE}`;

/** The 電子証明書ログイン button on the main origin: the state cookie, and where it sends the browser. */
async function startOnMain() {
  const r = await server.fetch(`${server.issuer}/ib/certificate-login/start`, { redirect: 'manual' });
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('renkei_cert_state='))!;
  const to = new URL(r.headers.get('location')!);
  return { cookie: cookie.split(';')[0]!, setCookie: cookie, to, path: `${to.pathname}${to.search}`, state: to.searchParams.get('state')! };
}

const midori = () => new TlsBrowser(server.mtlsUrl, server.ca, { pfx: demoPfx, passphrase: DEMO_CERTIFICATE.keyProtectionPassword });

/** The newest audit row of a type, for a login ID or (certificate refusals of unknown users) any. */
async function lastAudit(type: string, loginId?: string) {
  let q = db.selectFrom('audit_events').select(['type', 'outcome', 'details', 'actor_login_id', 'ip']).where('type', '=', type);
  if (loginId) q = q.where('actor_login_id', '=', loginId);
  return q.orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** A customer with the certificate service, and its master user with a real login password. */
async function certificateCustomerUser(password = 'Kotoba2024x') {
  const customerId = await insertCustomer(db);
  await db.updateTable('customers').set({ certificate_service_status: 'active', login_method: 'certificate' }).where('id', '=', customerId).execute();
  const userId = await insertMaster(db, customerId);
  await db.updateTable('users').set({ login_password_hash: await hashSecret(password) }).where('id', '=', userId).execute();
  const { login_id: loginId } = await db.selectFrom('users').select('login_id').where('id', '=', userId).executeTakeFirstOrThrow();
  return { customerId, userId, loginId, password };
}

async function issuedFor(userId: string) {
  return issueUserCertificate(db, ca, { userId, keyProtectionPassword: 'KeyProtect2026x', profile: 'modern', validityDays: 30, crlUrl });
}

t.test('the demo certificate is written once to DATA_DIR/demo-certificates and kept while it stays valid', async (t) => {
  t.equal(demoPfxPath, path.join(dataDir, 'demo-certificates', '3000000001.pfx'));
  t.doesNotThrow(() => createSecureContext({ pfx: demoPfx, passphrase: 'MidoriKey2024' }), 'opens with the 鍵保護パスワード of DESIGN §9');
  t.throws(() => createSecureContext({ pfx: demoPfx, passphrase: 'wrong-password-1' }), 'and not without it');
  const again = await ensureDemoCertificate(db, ca, { ...DEMO_CERTIFICATE, dataDir, crlUrl, validityDays: 365 });
  t.equal(again, demoPfxPath);
  t.same(await readFile(again!), demoPfx, 'a second start keeps the file');
  const issued = await db.selectFrom('certificates').innerJoin('users', 'users.id', 'certificates.user_id')
    .select(['certificates.status']).where('users.login_id', '=', '3000000001').execute();
  t.same(issued, [{ status: 'issued' }], 'one certificate issued to 3000000001');
});

t.test('the demo certificate customer logs in to internet banking: holder named, password only, session on the main origin', async (t) => {
  const start = await startOnMain();
  t.equal(start.to.origin, server.mtlsUrl, '電子証明書ログイン continues on the mutual-TLS origin');
  t.match(start.setCookie, /HttpOnly/i);
  t.match(start.setCookie, /Path=\/ib\/certificate-login/);
  const b = midori();
  const page = await b.request('GET', start.path);
  t.equal(page.status, 200);
  t.match(page.body, MIDORI.name, 'the holder is named');
  t.match(page.body, '3000000001', 'with the login ID');
  t.match(page.body, '株式会社みどり製作所');
  t.match(page.body, '<label for="password">ログインパスワード</label>');
  t.match(page.body, '<button type="submit">ログイン</button>');
  t.notMatch(page.body, 'name="loginId"', 'no login ID field: the certificate names the user');
  t.equal(page.headers['cache-control'], 'no-store');
  const en = await midori().request('GET', `${PAGE}&lang=en`);
  t.match(en.body, '<html lang="en">');
  t.match(en.body, 'This is the holder of the certificate your browser presented.', 'in English on request');

  const wrong = await b.request('POST', '/ib/certificate-login', { form: { state: start.state, _csrf: csrfOf(page.body), password: 'Wrong-pass-1' } });
  t.equal(wrong.status, 401);
  t.match(alertOf(wrong.body), TEXT.wrong);
  t.match(alertOf(wrong.body), 'あと4回', 'says how many attempts are left');
  t.match(await lastAudit('login.failure', MIDORI.loginId), { details: { channel: 'internet_banking', method: 'certificate', reason: 'wrong_password', failures: 1 } });

  t.match(wrong.body, `name="state" value="${start.state}"`, 'the state stays in the form');
  const ok = await b.request('POST', '/ib/certificate-login', { form: { state: start.state, _csrf: csrfOf(wrong.body), password: MIDORI.password } });
  t.equal(ok.status, 303);
  const location = new URL(ok.location!);
  t.equal(`${location.origin}${location.pathname}`, `${server.issuer}/ib/certificate-login/complete`, 'handed off to the main origin');
  t.notOk([...b.cookies.keys()].some((k) => k === 'renkei_ib'), 'no session cookie is set by the mutual-TLS origin');
  const token = location.searchParams.get('token')!;
  const stored = await db.selectFrom('certificate_login_handoffs').select(['token_hash', 'purpose', 'expires_at', 'created_at']).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
  t.equal(stored.token_hash, tokenHash(token), 'only the hash of the token is kept');
  t.ok(stored.expires_at.getTime() - stored.created_at.getTime() <= 61_000, 'short-lived');
  t.match(await lastAudit('login.success', MIDORI.loginId), { details: { channel: 'internet_banking', method: 'certificate' } });
  const user = await db.selectFrom('users').select(['login_failed_count', 'last_login_at']).where('login_id', '=', MIDORI.loginId).executeTakeFirstOrThrow();
  t.equal(user.login_failed_count, 0, 'the failure counter is reset');
  t.ok(user.last_login_at);
  const certificate = await db.selectFrom('certificates').innerJoin('users', 'users.id', 'certificates.user_id')
    .select('first_login_at').where('users.login_id', '=', MIDORI.loginId).executeTakeFirstOrThrow();
  t.ok(certificate.first_login_at, 'the certificate\'s first login is marked');

  // Sent to someone else (a browser without this state): nobody is logged in, and the link still works for its owner.
  const elsewhere = await server.fetch(ok.location!, { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': 'ja' } });
  t.equal(elsewhere.status, 400, 'a browser without the state cannot take the handoff up (no login CSRF)');
  t.notOk(elsewhere.headers.getSetCookie().some((c) => c.startsWith('renkei_ib=')));
  const otherState = await startOnMain();
  const wrongState = await server.fetch(ok.location!, { redirect: 'manual', headers: { accept: 'text/html', cookie: otherState.cookie } });
  t.equal(wrongState.status, 400, 'nor one whose state is another');

  const done = await server.fetch(ok.location!, { redirect: 'manual', headers: { accept: 'text/html', cookie: start.cookie } });
  t.equal(done.status, 303);
  t.equal(done.headers.get('location'), '/ib/');
  const session = done.headers.getSetCookie().find((c) => c.startsWith('renkei_ib='));
  t.ok(session, 'the main origin sets its own session cookie');
  t.notMatch(session!, /domain=/i, 'host-only: never shared with another origin');
  const home = await server.fetch(`${server.issuer}/ib/`, { headers: { cookie: session!.split(';')[0]!, accept: 'text/html' } });
  t.equal(home.status, 200);
  t.match(await home.text(), MIDORI.name, 'logged in to internet banking');

  const replay = await server.fetch(ok.location!, { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': 'ja', cookie: start.cookie } });
  t.equal(replay.status, 400, 'the handoff works once');
  t.notOk(replay.headers.getSetCookie().some((c) => c.startsWith('renkei_ib=')), 'no session from a replay');
  t.match(await replay.text(), TEXT.handoff);
  t.match(await lastAudit('login.failure', MIDORI.loginId), { details: { method: 'certificate', reason: 'handoff_invalid' } });
  const forged = await server.fetch(`${server.issuer}/ib/certificate-login/complete?token=${'A'.repeat(43)}`, { redirect: 'manual', headers: { accept: 'text/html', cookie: start.cookie } });
  t.equal(forged.status, 400, 'an unknown token starts nothing');
});

t.test('the ID/password path refuses a certificate customer, with a clear message; /ib/login offers 電子証明書ログイン', async (t) => {
  const b = new JourneyDriver(server);
  await b.request('GET', '/ib/login');
  t.match(b.html, 'href="/ib/certificate-login/start"', 'the button continues on the mutual-TLS origin (by way of the state)');
  const bookmark = await midori().request('GET', '/ib/certificate-login');
  t.equal(bookmark.status, 303, 'the mutual-TLS page without a state');
  t.equal(bookmark.location, `${server.issuer}/ib/certificate-login/start`, 'gets one from the main origin first');
  t.match(b.html, '電子証明書ログイン');
  const r = await b.request('POST', '/ib/login', { _csrf: b.csrf, loginId: MIDORI.loginId, password: MIDORI.password });
  t.equal(r.status, 401);
  t.match(b.html, 'このお客さまは電子証明書でログインしてください。');
  t.notOk(r.headers.getSetCookie().some((c) => c.startsWith('renkei_ib=')), 'no session');
  t.match(await lastAudit('login.failure', MIDORI.loginId), { details: { channel: 'internet_banking', reason: 'certificate_required' } });
});

t.test('every refused certificate gets its own message and an audit row', async (t) => {
  const expectRefusal = async (name: string, client: TlsClientIdentity, text: string, reason: string, loginId?: string) => {
    const b = new TlsBrowser(server.mtlsUrl, server.ca, client);
    const page = await b.request('GET', PAGE);
    t.equal(page.status, 403, `${name}: refused`);
    t.match(alertOf(page.body), text, `${name}: its message`);
    t.notMatch(page.body, 'name="password"', `${name}: no password is asked`);
    t.match(await lastAudit('login.failure', loginId), { outcome: 'failure', details: { channel: 'internet_banking', method: 'certificate', reason } }, `${name}: audited`);
  };

  await expectRefusal('no certificate', {}, TEXT.noCertificate, 'no_certificate');

  const a = await certificateCustomerUser();
  const expired = await makeClientCertificate({
    cn: a.loginId, issuer: bankIssuer(ca), record: { db, userId: a.userId },
    notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000),
  });
  await expectRefusal('expired', expired, TEXT.expired, 'expired', a.loginId);

  const revoked = await issuedFor(a.userId);
  t.ok(await revokeCertificate(db, ca, { serialNumber: revoked.serialNumber, reason: 'key_compromise' }));
  await expectRefusal('revoked', { pfx: revoked.pfx, passphrase: 'KeyProtect2026x' }, TEXT.revoked, 'revoked', a.loginId);

  await expectRefusal('foreign CA', await makeClientCertificate({ cn: a.loginId, issuer: await foreignIssuer() }), TEXT.unknownCa, 'unknown_ca');
  await expectRefusal('self-signed', await makeClientCertificate({ cn: a.loginId }), TEXT.unknownCa, 'unknown_ca');
  await expectRefusal('signed by the bank CA, never issued', await makeClientCertificate({ cn: a.loginId, issuer: bankIssuer(ca) }), TEXT.notFound, 'not_found');

  const gone = await certificateCustomerUser();
  const goneCert = await issuedFor(gone.userId);
  await db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', gone.userId).execute();
  await expectRefusal('user deleted', { pfx: goneCert.pfx, passphrase: 'KeyProtect2026x' }, TEXT.otherUser, 'other_user', gone.loginId);

  // 青空商事 has no certificate service: a certificate of one of its users does not log in.
  const aozora = await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const inactive = await issuedFor(aozora.id);
  await expectRefusal('service not active', { pfx: inactive.pfx, passphrase: 'KeyProtect2026x' }, TEXT.inactive, 'service_inactive', '1000000002');

  const locked = await certificateCustomerUser();
  const lockedCert = await issuedFor(locked.userId);
  await db.updateTable('users').set({ status: 'locked', locked_at: new Date() }).where('id', '=', locked.userId).execute();
  await expectRefusal('locked user', { pfx: lockedCert.pfx, passphrase: 'KeyProtect2026x' }, TEXT.locked, 'locked', locked.loginId);
});

t.test('the certificate is checked again when the password is sent: revoked in between, refused', async (t) => {
  const u = await certificateCustomerUser();
  const cert = await issuedFor(u.userId);
  const b = new TlsBrowser(server.mtlsUrl, server.ca, { pfx: cert.pfx, passphrase: 'KeyProtect2026x' });
  const page = await b.request('GET', PAGE);
  t.equal(page.status, 200);
  await revokeCertificate(db, ca, { serialNumber: cert.serialNumber, reason: 'key_compromise' });
  const post = await b.request('POST', '/ib/certificate-login', { form: { state: STATE, _csrf: csrfOf(page.body), password: u.password } });
  t.equal(post.status, 403);
  t.match(alertOf(post.body), TEXT.revoked);
  t.equal(await db.selectFrom('certificate_login_handoffs').innerJoin('users', 'users.id', 'certificate_login_handoffs.user_id')
    .select('users.id').where('users.id', '=', u.userId).executeTakeFirst(), undefined, 'no handoff');
});

t.test('wrong passwords count towards the same 5-failure lock as the ID/password login', async (t) => {
  const u = await certificateCustomerUser();
  const cert = await issuedFor(u.userId);
  // Two wrong attempts on the ID/password form…
  const main = new JourneyDriver(server);
  for (let i = 0; i < 2; i++) {
    await main.request('GET', '/ib/login');
    await main.request('POST', '/ib/login', { _csrf: main.csrf, loginId: u.loginId, password: 'Wrong-pass-1' });
  }
  // …then three with the certificate: the fifth locks.
  const b = new TlsBrowser(server.mtlsUrl, server.ca, { pfx: cert.pfx, passphrase: 'KeyProtect2026x' });
  let page = await b.request('GET', PAGE);
  for (let i = 0; i < 2; i++) {
    page = await b.request('POST', '/ib/certificate-login', { form: { state: STATE, _csrf: csrfOf(page.body), password: 'Wrong-pass-1' } });
    t.equal(page.status, 401);
  }
  t.match(alertOf(page.body), 'あと1回');
  const fifth = await b.request('POST', '/ib/certificate-login', { form: { state: STATE, _csrf: csrfOf(page.body), password: 'Wrong-pass-1' } });
  t.equal(fifth.status, 403);
  t.match(alertOf(fifth.body), TEXT.locked);
  const row = await db.selectFrom('users').select(['status', 'login_failed_count']).where('id', '=', u.userId).executeTakeFirstOrThrow();
  t.same(row, { status: 'locked', login_failed_count: 5 });
  t.match(await lastAudit('login.locked', u.loginId), { details: { method: 'certificate', failures: 5 } });
  const again = await b.request('GET', PAGE);
  t.equal(again.status, 403);
  t.match(alertOf(again.body), TEXT.locked, 'the right password no longer helps');
});

t.test('a form token is bound to the certificate, and forms without one are refused', async (t) => {
  const b = midori();
  const page = await b.request('GET', PAGE);
  const none = await b.request('POST', '/ib/certificate-login', { form: { state: STATE, password: MIDORI.password } });
  t.equal(none.status, 403, 'no token');
  const u = await certificateCustomerUser();
  const other = await issuedFor(u.userId);
  const thief = new TlsBrowser(server.mtlsUrl, server.ca, { pfx: other.pfx, passphrase: 'KeyProtect2026x' });
  for (const [k, v] of b.cookies) thief.cookies.set(k, v);
  const lifted = await thief.request('POST', '/ib/certificate-login', { form: { state: STATE, _csrf: csrfOf(page.body), password: u.password } });
  t.equal(lifted.status, 403, 'a token issued to another certificate is refused');
});

t.test('手順1-1 of the consent journey: API利用規定, holder, ログインパスワード and API連携 on the mutual-TLS origin, then the journey goes on', async (t) => {
  const tc = await insertTestClient(db, { showBusinessSelection: false });
  const { b } = await startJourney(server, tc);
  const uid = b.uid;
  const hop = await b.request('GET', `/interaction/${uid}/certificate`);
  t.equal(hop.location, `${server.mtlsUrl}/interaction/${uid}/certificate`);

  const m = midori();
  const page = await m.request('GET', `/interaction/${uid}/certificate`);
  t.equal(page.status, 200);
  t.match(page.body, `<h1>${TITLES.login}</h1>`);
  t.match(page.body, 'API利用規定');
  t.match(page.body, MIDORI.name);
  t.match(page.body, '3000000001');
  t.match(page.body, '<label for="password">ログインパスワード</label>');
  t.match(page.body, '<button type="submit">API連携</button>');
  t.match(page.headers['content-security-policy'] as string, `form-action 'self' ${server.issuer}`, 'the redirect to the main origin is allowed');
  const en = await m.request('GET', `/interaction/${uid}/certificate?lang=en`);
  t.match(en.body, '<html lang="en">', 'in English on request');
  t.match(en.body, 'Certificate holder');
  t.match(en.body, '<button type="submit">Connect</button>');

  const ok = await m.request('POST', `/interaction/${uid}/certificate`, { form: { _csrf: csrfOf(page.body), password: MIDORI.password } });
  t.equal(ok.status, 303);
  t.match(ok.location, `${server.issuer}/interaction/${uid}/certificate/complete?token=`);
  t.match(await lastAudit('login.success', MIDORI.loginId), { details: { channel: 'api_consent', method: 'certificate' } });

  // Another browser (another interaction) cannot take the handoff up…
  const { b: other } = await startJourney(server, tc);
  const stolen = ok.location!.replace(`/interaction/${uid}/`, `/interaction/${other.uid}/`);
  const refused = await other.request('GET', stolen);
  t.equal(refused.status, 400);
  t.match(other.html, TEXT.handoff);
  t.match(other.html, `<h1>${TITLES.login}</h1>`, 'that journey is still at its login');
  // …and the journey it belongs to goes on to the next step.
  await b.go('GET', ok.location!);
  t.equal(b.title, TITLES.pin, 'logged in: the inquiry PIN registration comes next');
  const used = await db.selectFrom('certificate_login_handoffs').select(['consumed_at', 'interaction_uid'])
    .where('token_hash', '=', tokenHash(new URL(ok.location!).searchParams.get('token')!)).executeTakeFirstOrThrow();
  t.ok(used.consumed_at, 'the handoff is used up');
  t.equal(used.interaction_uid, uid, 'and was bound to its interaction');

  // The ID/password form of the journey refuses the certificate customer.
  const { b: pw } = await startJourney(server, tc);
  await pw.post('login', { login_id: MIDORI.loginId, password: MIDORI.password });
  t.equal(pw.status, 400);
  t.match(pw.html, '「電子証明書ログイン」ボタンからログインしてください。');
});

t.test('the journey page of an unknown or finished interaction says so and links back', async (t) => {
  const m = midori();
  const page = await m.request('GET', '/interaction/unknown-interaction-0001/certificate');
  t.equal(page.status, 400);
  t.match(page.body, `href="${server.issuer}/interaction/unknown-interaction-0001"`);
});

t.test('RFC 9440 behind a proxy: the certificate comes only from the Client-Cert header of a trusted proxy', async (t) => {
  const tls = await generateSelfSigned(['localhost']);
  const demoCrt = await readFile(path.join(dataDir, 'demo-certificates', '3000000001.crt'), 'utf8');
  const proxied = async (trusted: string) => {
    const { app } = await buildTestApp(t, {
      database: server.database,
      env: { TRUST_PROXY: 'true', TRUSTED_PROXIES: trusted, CLIENT_CERT_HEADER: 'Client-Cert' },
      build: { listener: 'mtls', https: { key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false } },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `https://localhost:${(app.server.address() as { port: number }).port}`;
  };

  const untrusted = await proxied('192.0.2.10');
  const forged = new TlsBrowser(untrusted, tls.cert, {});
  const page = await forged.request('GET', PAGE, { headers: { 'client-cert': clientCertHeader(demoCrt) } });
  t.equal(page.status, 403, 'a Client-Cert header from an address that is not a trusted proxy is ignored');
  t.match(alertOf(page.body), TEXT.noCertificate);
  const post = await forged.request('POST', '/ib/certificate-login', { form: { state: STATE, password: MIDORI.password }, headers: { 'client-cert': clientCertHeader(demoCrt) } });
  t.equal(post.status, 403, 'and cannot log in');

  const trusted = await proxied('127.0.0.1');
  const viaProxy = new TlsBrowser(trusted, tls.cert, {});
  const shown = await viaProxy.request('GET', PAGE, { headers: { 'client-cert': clientCertHeader(demoCrt) } });
  t.equal(shown.status, 200, 'from the trusted proxy the header names the holder');
  t.match(shown.body, MIDORI.name);
  t.match(shown.headers.vary as string, 'Client-Cert');
  const loggedIn = await viaProxy.request('POST', '/ib/certificate-login', {
    form: { state: STATE, _csrf: csrfOf(shown.body), password: MIDORI.password }, headers: { 'client-cert': clientCertHeader(demoCrt) },
  });
  t.equal(loggedIn.status, 303);
  const malformed = await viaProxy.request('GET', PAGE, { headers: { 'client-cert': ':not base64 at all:' } });
  t.equal(malformed.status, 403, 'a malformed header is no certificate');
});

t.test('timing of a certificate login on loopback (median of 20; reported, never asserted)', async (t) => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
  const pageTimes: number[] = [];
  const loginTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = midori();
    const started = performance.now();
    const start = await startOnMain();
    // A new TLS connection presenting the certificate, and the page naming its holder.
    const pageStarted = performance.now();
    const page = await b.request('GET', start.path);
    pageTimes.push(performance.now() - pageStarted);
    const ok = await b.request('POST', '/ib/certificate-login', { form: { state: start.state, _csrf: csrfOf(page.body), password: MIDORI.password } });
    const done = await server.fetch(ok.location!, { redirect: 'manual', headers: { cookie: start.cookie } });
    loginTimes.push(performance.now() - started);
    t.equal(done.status, 303, `login ${i + 1}`);
  }
  t.comment(`certificate login, median of 20 on loopback: TLS handshake + page ${median(pageTimes)} ms; `
    + `whole login (start on the main origin, page, password on a new connection, handoff back) ${median(loginTimes)} ms`);
});
