import { createHash, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import {
  assertApiError, ath, challenges, dpopGet, dpopProof, extractableKeyPair, publicJwk, rawGet, unsignedProof, type ApiResponse,
} from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { testDatabaseUrl } from '../../helpers/database.ts';
import { secondPool } from '../../helpers/db-relay.ts';
import { certificateFetch, mtlsSessionFor } from '../../helpers/mtls-session.ts';
import { secondInstance } from '../../helpers/second-instance.ts';

// Sender-constrained tokens at the resource API (DESIGN §8, RFC 9449 §4.3 and §7.1, RFC 8705 §3):
// the negatives of the FAPI 2.0 dpop-negative-tests module (security.md §2.3) and of mTLS binding.
t.setTimeout(400_000);

const server = await startAuthServer(t);
const s = await apiSessionFor(server, '1000000002', 'User1pass2024');
const token = s.tokens.access_token;
const PATH = '/api/v1/accounts';
const HTU = `${server.issuer}${PATH}`;
const keys = s.c.dpopKeys;
const withProof = (proof: string, opts: { path?: string; scheme?: string; headers?: Record<string, string> } = {}) =>
  rawGet(server, opts.path ?? PATH, { authorization: `${opts.scheme ?? 'DPoP'} ${token}`, dpop: proof, ...opts.headers });
const proof = (o: Partial<Parameters<typeof dpopProof>[1]> = {}) => dpopProof(keys, { htu: HTU, accessToken: token, ...o });

function refusedProof(t: Test, res: ApiResponse, label: string) {
  assertApiError(t, res, 401, 'invalid_dpop_proof', { label });
  const c = challenges(res.headers.get('www-authenticate'));
  t.equal(c.DPoP?.error, 'invalid_dpop_proof', `${label}: DPoP challenge`);
}

t.test('every issued access token is sender-constrained: cnf.jkt is the thumbprint of the client’s DPoP key', async (t) => {
  const claims = decodeJwt(token) as { cnf?: { jkt?: string } };
  t.equal(claims.cnf?.jkt, await calculateJwkThumbprint(await publicJwk(keys.publicKey)));
});

t.test('a proof built by hand is accepted, as are the variations RFC 9449 allows', async (t) => {
  t.equal((await withProof(await proof())).status, 200, 'the reference proof');
  t.equal((await withProof(await proof({ htu: `${HTU}?x=1#frag` }))).status, 200, 'htu with a query and a fragment (ignored)');
  // /accounts takes no parameters; the balances endpoint takes one.
  const withQuery = '/api/v1/accounts/balances?accountId=101011000088';
  t.equal((await withProof(await proof({ htu: `${server.issuer}/api/v1/accounts/balances` }), { path: withQuery })).status, 200, 'a request with a query and htu without');
  t.equal((await withProof(await proof({ htu: HTU.replace('https://localhost', 'HTTPS://LOCALHOST') }))).status, 200, 'scheme and host in upper case');
  t.equal((await withProof(await proof({ claims: { extra: 'x' }, header: { extra: 'y' } }))).status, 200, 'unknown header members and claims');
  t.equal((await withProof(await proof({ iat: Math.floor(Date.now() / 1000) - 30 }))).status, 200, 'thirty seconds old');
  t.equal((await rawGet(server, PATH, { authorization: `dpop ${token}`, DPoP: await proof() })).status, 200, 'scheme and header name in another case');
});

t.test('401 invalid_dpop_proof when the proof is missing, doubled or not a JWT', async (t) => {
  refusedProof(t, await rawGet(server, PATH, { authorization: `DPoP ${token}` }), 'no DPoP header');
  refusedProof(t, await rawGet(server, PATH, [['authorization', `DPoP ${token}`], ['dpop', await proof()], ['dpop', await proof()]]), 'two DPoP headers');
  for (const junk of ['not-a-jwt', 'a.b.c', '', `${(await proof()).split('.').slice(0, 2).join('.')}`]) {
    refusedProof(t, await withProof(junk), `malformed ${JSON.stringify(junk.slice(0, 20))}`);
  }
});

t.test('401 invalid_dpop_proof for a wrong typ or algorithm, or a header without a public key', async (t) => {
  refusedProof(t, await withProof(await proof({ typ: 'JWT' })), 'typ JWT');
  refusedProof(t, await withProof(await proof({ header: { typ: undefined } })), 'no typ');
  const payload = { htm: 'GET', htu: HTU, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ath: ath(token) };
  refusedProof(t, await withProof(unsignedProof({ typ: 'dpop+jwt', jwk: await publicJwk(keys.publicKey) }, payload)), 'alg none');
  const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await publicJwk(keys.publicKey) } as never)
    .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!'));
  refusedProof(t, await withProof(hs), 'alg HS256');
  const rsa = await extractableKeyPair('RS256');
  refusedProof(t, await withProof(await dpopProof(rsa, { htu: HTU, accessToken: token }, 'RS256')), 'alg RS256');
  const es384 = await extractableKeyPair('ES384');
  refusedProof(t, await withProof(await dpopProof(es384, { htu: HTU, accessToken: token }, 'ES384')), 'alg ES384 (not in the profile)');
  refusedProof(t, await withProof(await proof({ header: { jwk: undefined } })), 'no jwk');
  for (const jwk of [1, 'x', [], null]) refusedProof(t, await withProof(await proof({ header: { jwk } })), `jwk ${JSON.stringify(jwk)} (not an object; a number was once a 500)`);
  const extractable = await extractableKeyPair('ES256');
  const privateJwk = await exportJWK(extractable.privateKey);
  refusedProof(t, await withProof(await dpopProof(extractable, { htu: HTU, accessToken: token, jwk: privateJwk })), 'the private key in jwk');
  const good = (await proof()).split('.');
  const sig = Buffer.from(good[2]!, 'base64url');
  sig[10] = sig[10]! ^ 0xff;
  refusedProof(t, await withProof(`${good[0]}.${good[1]}.${sig.toString('base64url')}`), 'tampered signature');
  const otherPayload = Buffer.from(JSON.stringify({ ...decodeJwt(good.join('.')), htm: 'POST' })).toString('base64url');
  refusedProof(t, await withProof(`${good[0]}.${otherPayload}.${good[2]}`), 'payload changed after signing');
});

t.test('401 invalid_dpop_proof when a required claim is missing', async (t) => {
  for (const claim of ['jti', 'htm', 'htu', 'iat', 'ath']) {
    refusedProof(t, await withProof(await proof({ claims: { [claim]: undefined } })), `no ${claim}`);
  }
  refusedProof(t, await withProof(await proof({ jti: '' })), 'empty jti');
});

t.test('401 invalid_dpop_proof for the wrong method or URL', async (t) => {
  refusedProof(t, await withProof(await proof({ htm: 'POST' })), 'htm POST on a GET');
  refusedProof(t, await withProof(await proof({ htm: 'get' })), 'htm in lower case');
  refusedProof(t, await withProof(await proof({ htu: `${server.issuer}/api/v1/accounts/balances` })), 'htu of another path');
  refusedProof(t, await withProof(await proof({ htu: HTU.replace('localhost', '127.0.0.1') })), 'htu of another host');
  refusedProof(t, await withProof(await proof({ htu: HTU.replace('https:', 'http:') })), 'htu with http');
  refusedProof(t, await withProof(await proof({ htu: `${server.mtlsUrl}${PATH}` })), 'htu of the mutual-TLS origin');
  refusedProof(t, await withProof(await proof({ htu: '/api/v1/accounts' })), 'a relative htu');
  refusedProof(t, await withProof(await proof({ htu: 'not a url' })), 'htu that is no URL');
});

t.test('401 invalid_dpop_proof for a stale or future iat', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  refusedProof(t, await withProof(await proof({ iat: now - 120 })), 'two minutes old');
  refusedProof(t, await withProof(await proof({ iat: now + 60 })), 'one minute ahead');
  refusedProof(t, await withProof(await proof({ iat: now - 3600 })), 'one hour old');
  refusedProof(t, await withProof(await proof({ claims: { iat: String(now) } })), 'iat as a string');
});

t.test('401 invalid_dpop_proof for a replayed proof, also on another instance sharing the database', async (t) => {
  const once = await proof();
  t.equal((await withProof(once)).status, 200, 'first use');
  refusedProof(t, await withProof(once), 'second use on the same instance');

  // Another renkei instance: its own pool on PostgreSQL (as another process would have), the same
  // embedded database on PGlite.
  const db = testDatabaseUrl ? (await secondPool(t, server.database.db)).db : server.database.db;
  const other = await secondInstance(t, server, db);
  const onOther = (p: string) => rawGet(server, `${other.url}${PATH}`, { authorization: `DPoP ${token}`, dpop: p }, other.fetch);
  refusedProof(t, await onOther(once), 'replayed on the other instance');
  const fresh = await proof();
  t.equal((await onOther(fresh)).status, 200, 'a fresh proof is fine on the other instance');
  refusedProof(t, await withProof(fresh), 'and then replayed on the first');
  const raced = await proof();
  const answers = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? onOther(raced) : withProof(raced))));
  t.same(answers.map((r) => r.status).sort(), [200, 401, 401, 401], 'the same proof sent four times at once to both instances: accepted exactly once');
  const sameJti = await proof({ jti: decodeJwt(fresh).jti as string });
  refusedProof(t, await withProof(sameJti), 'a new proof reusing a jti');
});

t.test('401 invalid_dpop_proof for a proof by another key, or for another token', async (t) => {
  const another = await extractableKeyPair('ES256');
  refusedProof(t, await withProof(await dpopProof(another, { htu: HTU, accessToken: token })), 'signed by a key the token is not bound to');
  refusedProof(t, await withProof(await proof({ ath: ath(`${token}x`) })), 'ath of another token');
  refusedProof(t, await withProof(await proof({ ath: createHash('sha256').update(token).digest('base64') })), 'ath in base64, not base64url');
  const ed = await extractableKeyPair('EdDSA');
  refusedProof(t, await withProof(await dpopProof(ed, { htu: HTU, accessToken: token }, 'EdDSA')), 'an accepted algorithm but another key');
});

t.test('401 invalid_token for a DPoP-bound token presented as Bearer, on either origin', async (t) => {
  for (const origin of [server.issuer, server.mtlsUrl]) {
    const res = await rawGet(server, `${origin}${PATH}`, { authorization: `Bearer ${token}`, dpop: await proof() });
    assertApiError(t, res, 401, 'invalid_token', { label: origin });
    const c = challenges(res.headers.get('www-authenticate'));
    t.equal(c.DPoP?.error, 'invalid_token', `${origin}: the challenge asks for DPoP`);
  }
});

t.test('a DPoP-bound token also works on the mutual-TLS origin with a proof for that origin', async (t) => {
  const res = await dpopGet(server, s, PATH, { origin: server.mtlsUrl, proof: await dpopProof(keys, { htu: `${server.mtlsUrl}${PATH}`, accessToken: token }) });
  t.equal(res.status, 200);
});

t.test('a certificate-bound token is accepted only with its certificate, on the mutual-TLS origin', async (t) => {
  const m = await mtlsSessionFor(t, server, '1000000001', 'Aozora2024');
  const bound = m.tokens.access_token;
  const claims = decodeJwt(bound) as { cnf?: Record<string, string> };
  const thumbprint = createHash('sha256').update(new X509Certificate(m.certificate.cert).raw).digest('base64url');
  t.same(claims.cnf, { 'x5t#S256': thumbprint }, 'cnf names the client certificate (RFC 8705 §3.1)');

  const bearer = { authorization: `Bearer ${bound}` };
  const ok = await rawGet(server, `${server.mtlsUrl}${PATH}`, bearer, m.fetch);
  t.equal(ok.status, 200, 'Bearer with the certificate');
  t.equal((ok.body.accounts as unknown[]).length, 4, 'the master’s four accounts');
  t.equal((await rawGet(server, `${server.mtlsUrl}/api/v1/accounts/balances`, bearer, m.fetch)).status, 200, 'balances too');

  const without = await rawGet(server, `${server.mtlsUrl}${PATH}`, bearer);
  assertApiError(t, without, 401, 'invalid_token', { label: 'without a certificate' });
  t.equal(challenges(without.headers.get('www-authenticate')).Bearer?.error, 'invalid_token');
  const otherCert = certificateFetch(t, server, await generateSelfSigned(['partner-client.example']));
  assertApiError(t, await rawGet(server, `${server.mtlsUrl}${PATH}`, bearer, otherCert), 401, 'invalid_token', { label: 'with another certificate' });
  assertApiError(t, await rawGet(server, `${server.issuer}${PATH}`, bearer, m.fetch), 401, 'invalid_token', { label: 'on the main origin' });
  const asDpop = await rawGet(server, PATH, { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, { htu: HTU, accessToken: bound }) });
  assertApiError(t, asDpop, 401, 'invalid_token', { label: 'with the DPoP scheme' });
  t.equal(challenges(asDpop.headers.get('www-authenticate')).Bearer?.error, 'invalid_token', 'the challenge asks for Bearer');
});
