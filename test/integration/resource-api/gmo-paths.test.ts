import t, { type Test } from 'tap';
import { ERROR_MESSAGES, GMO_API_BASES, GMO_ERROR_CODES, type ErrorCode } from '../../../src/shared/errors.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { challenges, dpopGet, dpopProof, rawGet, type ApiResponse } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { mtlsSessionFor } from '../../helpers/mtls-session.ts';

// DESIGN §8 "Drop-in for GMO integrations": the same API under GMO Aozora's two base paths (法人 and
// 個人, each for its kind of customer), GMO's ErrorResponse there, `x-access-token` on the mutual-TLS
// origin, one rate limit for all bases, and the request id in X-Request-Id on every response.
t.setTimeout(600_000);

const server = await startAuthServer(t);
const CORP = GMO_API_BASES.corporation;
const PERS = GMO_API_BASES.personal;
const A88 = '101011000088';
const A123 = '100012000123';
const corporate = await apiSessionFor(server, '1000000002', 'User1pass2024');
const individual = await apiSessionFor(server, '2000000001', 'Hanako2024');

/** GMO's ErrorResponse exactly (swagger v1.1.12): two strings, errorCode 1–10 半角英数, errorMessage 1–255. */
function assertGmoError(t: Test, res: ApiResponse, status: number, code: ErrorCode, label: string, lang: 'ja' | 'en' = 'ja'): void {
  t.equal(res.status, status, `${label}: status ${status}`);
  t.same(Object.keys(res.body).sort(), ['errorCode', 'errorMessage'], `${label}: errorCode and errorMessage only`);
  t.equal(res.body.errorCode, GMO_ERROR_CODES[code], `${label}: errorCode ${GMO_ERROR_CODES[code]} (${code})`);
  t.match(res.body.errorCode, /^[A-Za-z0-9]{1,10}$/);
  t.ok(typeof res.body.errorMessage === 'string' && res.body.errorMessage.length >= 1 && res.body.errorMessage.length <= 255, `${label}: errorMessage of 1–255`);
  if (code !== 'invalid_parameter' && code !== 'forbidden') t.equal(res.body.errorMessage, ERROR_MESSAGES[code][lang], `${label}: the message in ${lang}`);
  t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, `${label}: the request id in the header`);
  t.match(res.headers.get('content-type'), /^application\/json/);
}

/** The answer without the moment it was made, to compare two bases. */
const content = (body: Record<string, unknown>) => JSON.parse(JSON.stringify(body, (k, v) => (k === 'baseTime' || k === 'baseDate' ? undefined : v)));

t.test('the GMO code table: one code for each of ours, 1–10 半角英数, all different', async (t) => {
  const codes = Object.keys(ERROR_MESSAGES) as ErrorCode[];
  t.same(Object.keys(GMO_ERROR_CODES).sort(), [...codes].sort(), 'every code of the closed list, no other');
  for (const c of codes) t.match(GMO_ERROR_CODES[c], /^[A-Za-z0-9]{1,10}$/, c);
  t.equal(new Set(Object.values(GMO_ERROR_CODES)).size, codes.length, 'no two of ours share a GMO code');
});

t.test('the corporation base serves a corporate token the same answers as /api/v1', async (t) => {
  for (const path of ['/accounts', '/accounts/balances', `/accounts/balances?accountId=${A88}`, `/accounts/transactions?accountId=${A88}&dateFrom=2026-08-01`]) {
    const ours = await dpopGet(server, corporate, `/api/v1${path}`);
    const gmo = await dpopGet(server, corporate, `${CORP}${path}`);
    t.equal(gmo.status, 200, `${CORP}${path}`);
    t.same(content(gmo.body), content(ours.body), `${path}: the same content`);
    t.equal(gmo.headers.get('cache-control'), 'no-store');
  }
});

t.test('the personal base serves an individual’s token, with the cache-buster GMO SDKs add', async (t) => {
  const res = await dpopGet(server, individual, `${PERS}/accounts?_=${Date.now()}`);
  t.equal(res.status, 200);
  t.same((res.body.accounts as { accountId: string }[]).map((a) => a.accountId), [A123]);
  t.equal((await dpopGet(server, individual, `${PERS}/accounts/transactions?accountId=${A123}&_=1`)).status, 200);
  t.equal((await dpopGet(server, individual, '/api/v1/accounts')).status, 200, '/api/v1 serves both kinds');
});

t.test('each GMO base refuses the other kind of customer with 403, naming the right base', async (t) => {
  const corpOnPersonal = await dpopGet(server, corporate, `${PERS}/accounts`);
  assertGmoError(t, corpOnPersonal, 403, 'forbidden', 'a corporate token on the personal base');
  t.match(corpOnPersonal.body.errorMessage, CORP);
  const personOnCorp = await dpopGet(server, individual, `${CORP}/accounts/balances`, { headers: { 'accept-language': 'en' } });
  assertGmoError(t, personOnCorp, 403, 'forbidden', 'an individual token on the corporation base', 'en');
  t.match(personOnCorp.body.errorMessage, new RegExp(`^This API serves corporate customers.*${PERS}`));
  t.equal(personOnCorp.headers.get('www-authenticate'), null, 'the token is fine: no challenge');
});

t.test('errors under the GMO bases are GMO’s ErrorResponse, with the RFC 6750 / 9449 challenges kept', async (t) => {
  const none = await rawGet(server, `${CORP}/accounts`);
  assertGmoError(t, none, 401, 'invalid_token', 'no token');
  t.same(challenges(none.headers.get('www-authenticate')), { DPoP: { algs: 'ES256 PS256 EdDSA' }, Bearer: {} }, 'a bare challenge for both schemes');
  const noProof = await rawGet(server, `${PERS}/accounts`, { authorization: `DPoP ${individual.tokens.access_token}` });
  assertGmoError(t, noProof, 401, 'invalid_dpop_proof', 'no DPoP proof');
  t.equal(challenges(noProof.headers.get('www-authenticate')).DPoP?.error, 'invalid_dpop_proof');
  assertGmoError(t, await dpopGet(server, corporate, `${CORP}/accounts/balances?accountId=12`), 400, 'invalid_parameter', 'a malformed accountId');
  assertGmoError(t, await dpopGet(server, corporate, `${CORP}/accounts/transactions?accountId=101111000771`), 400, 'invalid_parameter', 'statements of a time deposit');
  assertGmoError(t, await dpopGet(server, corporate, `${CORP}/accounts/transactions`), 400, 'invalid_parameter', 'no accountId');
  assertGmoError(t, await dpopGet(server, corporate, `${CORP}/accounts/balances?accountId=101111000771`), 403, 'account_forbidden', 'an account outside the grant');
  const txOnly = await apiSessionFor(server, '1000000002', 'User1pass2024', { scopes: ['transactions'] });
  const scope = await dpopGet(server, txOnly, `${CORP}/accounts/balances`);
  assertGmoError(t, scope, 403, 'insufficient_scope', 'a token without balances');
  t.equal(challenges(scope.headers.get('www-authenticate')).DPoP?.error, 'insufficient_scope');
  for (const path of [`${CORP}/accounts/visa-transactions`, `${PERS}/transfer/request`, `${CORP}`]) {
    assertGmoError(t, await rawGet(server, path), 404, 'not_found', `${path}: not served`);
  }
  assertGmoError(t, await rawGet(server, `${CORP}/accounts`, { accept: 'text/html' }), 401, 'invalid_token', 'a browser still gets JSON');
  const ours = await rawGet(server, '/api/v1/accounts');
  t.same(Object.keys(ours.body).sort(), ['errorCode', 'errorMessage', 'requestId'], '/api/v1 keeps its own body');
  t.equal(ours.body.errorCode, 'invalid_token');
  t.equal(ours.body.requestId, ours.headers.get('x-request-id'), 'the body’s request id is the header’s');
});

t.test('x-access-token on the mutual-TLS origin is Bearer with the certificate binding; refused elsewhere', async (t) => {
  const m = await mtlsSessionFor(t, server, '1000000001', 'Aozora2024');
  const token = m.tokens.access_token;
  for (const path of [`${CORP}/accounts`, `${CORP}/accounts/balances?_=1`, `${CORP}/accounts/transactions?accountId=${A88}&_=1`, '/api/v1/accounts']) {
    t.equal((await rawGet(server, `${server.mtlsUrl}${path}`, { 'x-access-token': token }, m.fetch)).status, 200, `${path} with the certificate`);
  }
  const noCert = await rawGet(server, `${server.mtlsUrl}${CORP}/accounts`, { 'x-access-token': token });
  assertGmoError(t, noCert, 401, 'invalid_token', 'without the bound certificate');
  t.equal(challenges(noCert.headers.get('www-authenticate')).Bearer?.error, 'invalid_token');
  const main = await rawGet(server, `${server.issuer}${CORP}/accounts`, { 'x-access-token': token }, m.fetch);
  assertGmoError(t, main, 401, 'invalid_token', 'on the main origin');
  t.equal(challenges(main.headers.get('www-authenticate')).DPoP?.error, 'invalid_token');
  const mainOurs = await rawGet(server, `${server.issuer}/api/v1/accounts`, { 'x-access-token': token }, m.fetch);
  t.equal(mainOurs.status, 401, 'on the main origin under /api/v1 too');
  const both = await rawGet(server, `${server.mtlsUrl}${CORP}/accounts`, { 'x-access-token': token, authorization: `Bearer ${token}` }, m.fetch);
  assertGmoError(t, both, 401, 'invalid_token', 'the token in two headers (RFC 6750 §2: one method only)');
  assertGmoError(t, await rawGet(server, `${server.mtlsUrl}${CORP}/accounts`, { 'x-access-token': 'a b' }, m.fetch), 401, 'invalid_token', 'a malformed token');
  const dpopBound = corporate.tokens.access_token;
  const asHeader = await rawGet(server, `${server.mtlsUrl}${CORP}/accounts`, { 'x-access-token': dpopBound }, m.fetch);
  assertGmoError(t, asHeader, 401, 'invalid_token', 'a DPoP-bound token in x-access-token');
  t.equal(challenges(asHeader.headers.get('www-authenticate')).DPoP?.error, 'invalid_token', 'the challenge asks for DPoP');
  const person = await mtlsSessionFor(t, server, '2000000001', 'Hanako2024');
  t.equal((await rawGet(server, `${server.mtlsUrl}${PERS}/accounts/balances`, { 'x-access-token': person.tokens.access_token }, person.fetch)).status, 200, 'personal base');
  assertGmoError(t, await rawGet(server, `${server.mtlsUrl}${PERS}/accounts`, { 'x-access-token': token }, m.fetch), 403, 'forbidden', 'a corporate token on the personal base');
});

t.test('one per-client rate limit across /api/v1 and both GMO bases', async (t) => {
  const limited = await startAuthServer(t, { env: { API_RATE_LIMIT_PER_MINUTE: '4' } });
  const s = await apiSessionFor(limited, '1000000002', 'User1pass2024');
  for (const path of ['/api/v1/accounts', `${CORP}/accounts`, `${CORP}/accounts/balances`, '/api/v1/accounts/balances']) t.equal((await dpopGet(limited, s, path)).status, 200, path);
  const over = await dpopGet(limited, s, `${CORP}/accounts`);
  assertGmoError(t, over, 429, 'rate_limited', 'the fifth call, on a GMO base');
  t.ok(Number(over.headers.get('retry-after')) >= 1, 'Retry-After');
  t.equal((await dpopGet(limited, s, '/api/v1/accounts')).status, 429, 'and on /api/v1');
});

t.test('X-Request-Id on every response: API, provider, discovery, 404s, static files, documents, health', async (t) => {
  const probes: [string, RequestInit?][] = [
    ['/.well-known/openid-configuration'], ['/oauth2/jwks'], ['/oauth2/token', { method: 'POST', body: 'grant_type=nonsense', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['/oauth2/no-such-endpoint'], ['/no-such-page'], ['/no-such-page', { headers: { accept: 'text/html' } }], ['/assets/style.css'], ['/assets/missing.css'],
    ['/api/v1/openapi.json'], ['/api/docs'], ['/healthz'], ['/api/v1/accounts'], [`${CORP}/accounts`], [`${PERS}/nothing`], ['/ganb/api/auth/v1/token'],
  ];
  const ids = new Set<string>();
  for (const origin of [server.issuer, server.mtlsUrl]) {
    for (const [path, init] of probes) {
      const res = await server.fetch(new URL(path, origin), init as never);
      await res.arrayBuffer();
      const id = res.headers.get('x-request-id');
      t.match(id, /^[0-9a-f-]{36}$/, `${origin}${path} → ${res.status} carries X-Request-Id`);
      if (id) ids.add(id);
    }
  }
  t.equal(ids.size, probes.length * 2, 'a new id for every request');
});
