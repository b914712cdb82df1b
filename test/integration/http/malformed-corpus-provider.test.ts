import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import t from 'tap';
import { Agent, request } from 'undici';
import { OIDC_ROUTES } from '../../../src/oidc/fapi-profile.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { clientAssertion } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';
import { CORE_VALUES, deepKey, ENCODED_VALUES, Tally, withDeadline } from './malformed-corpus.ts';

// The malformed-input corpus for oidc-provider's endpoints (/oauth2/* and discovery), which read the
// raw request stream: over a real listening server and one keep-alive connection, so a request that
// leaves the connection unusable shows as a stall of the next one. Every parameter of every endpoint
// gets the values, with and without a valid client authentication (so tokens and ids reach the
// adapter); registration gets JSON metadata with control characters; DPoP proofs carry odd claims.
t.setTimeout(300_000);

const DEADLINE_MS = 20_000;
const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN } });
const { db } = server.database;
const tc = await insertTestClient(db);
const tally = new Tally();

/** One connection at a time, kept alive between requests: a stuck connection stalls what follows. */
function keepAliveAgent() {
  const agent = new Agent({ connect: { ca: server.ca }, connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  t.teardown(() => agent.close());
  return agent;
}

interface Req { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; headers?: Record<string, string>; body?: string | Buffer }

async function send(agent: Agent, what: string, r: Req): Promise<number | 'stalled' | 'failed'> {
  try {
    const res = await withDeadline((async () => {
      const out = await request(`${server.issuer}${r.path}`, {
        method: r.method, dispatcher: agent, headers: { accept: 'application/json', ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}),
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      return { status: out.statusCode, contentType: String(out.headers['content-type'] ?? ''), body: await out.body.text() };
    })(), DEADLINE_MS + 1000);
    tally.record(what, res);
    return res === 'stalled' ? res : res.status;
  } catch (err) {
    const e = err as Error;
    tally.record(what, e.name === 'TimeoutError' || e.name === 'AbortError' ? 'stalled' : e);
    return e.name === 'TimeoutError' || e.name === 'AbortError' ? 'stalled' : 'failed';
  }
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const aud = server.issuer;
const assertion = () => clientAssertion({ clientId: tc.clientId, aud, key: tc.privateKey, alg: 'ES256', kid: tc.kid });
/** A form body with the client's own authentication, and `name` set to an already encoded value. */
async function authed(params: Record<string, string>, name?: string, encoded?: string): Promise<string> {
  const p = new URLSearchParams({
    client_id: tc.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(), ...params,
  });
  if (name) p.delete(name);
  return `${p.toString()}${name ? `&${encodeURIComponent(name)}=${encoded}` : ''}`;
}

/** The parameters each endpoint reads (RFC 6749, 7009, 7662, 9126, OIDC), with a plausible value. */
const ENDPOINT_PARAMS: Record<string, Record<string, string>> = {
  [OIDC_ROUTES.pushed_authorization_request]: { response_type: 'code', redirect_uri: tc.redirectUri, scope: 'openid balances', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's', nonce: 'n' },
  [OIDC_ROUTES.token]: { grant_type: 'authorization_code', code: 'c'.repeat(43), redirect_uri: tc.redirectUri, code_verifier: 'v'.repeat(43), refresh_token: 'r'.repeat(43) },
  [OIDC_ROUTES.introspection]: { token: 't'.repeat(43), token_type_hint: 'access_token' },
  [OIDC_ROUTES.revocation]: { token: 't'.repeat(43), token_type_hint: 'refresh_token' },
  [OIDC_ROUTES.userinfo]: { access_token: 'a'.repeat(43) },
  [OIDC_ROUTES.end_session]: { id_token_hint: 'x.y.z', post_logout_redirect_uri: tc.redirectUri, state: 's', client_id: tc.clientId, logout_hint: 'h', ui_locales: 'ja' },
  [OIDC_ROUTES.device_authorization]: { scope: 'openid' },
  [OIDC_ROUTES.backchannel_authentication]: { scope: 'openid', login_hint: 'x' },
  [OIDC_ROUTES.challenge]: {},
};
const GET_PARAMS: Record<string, Record<string, string>> = {
  [OIDC_ROUTES.authorization]: { client_id: tc.clientId, request_uri: 'urn:ietf:params:oauth:request_uri:abc', response_type: 'code', redirect_uri: tc.redirectUri, scope: 'openid' },
  [OIDC_ROUTES.end_session]: { id_token_hint: 'x.y.z', post_logout_redirect_uri: tc.redirectUri, client_id: tc.clientId },
  [OIDC_ROUTES.userinfo]: {},
  [OIDC_ROUTES.jwks]: {},
  [OIDC_ROUTES.code_verification]: { user_code: 'ABCD-EFGH' },
  '/.well-known/openid-configuration': {},
  '/.well-known/oauth-authorization-server': {},
  [`${OIDC_ROUTES.registration}/${tc.clientId}`]: {},
};

const agent = keepAliveAgent();

t.test('every provider endpoint answers every malformed parameter, on one keep-alive connection, without a 5xx', async (t) => {
  for (const [path, params] of Object.entries(ENDPOINT_PARAMS)) {
    const names = [...new Set([...Object.keys(params), 'client_id'])];
    for (const name of names) {
      for (const v of name === 'token' || name === 'client_id' ? ENCODED_VALUES : CORE_VALUES) {
        const what = `POST ${path} ${name}=${v.slice(0, 20)}`;
        await send(agent, `${what} (authenticated)`, { method: 'POST', path, headers: FORM, body: await authed(params, name, v) });
        await send(agent, what, { method: 'POST', path, headers: FORM, body: `${new URLSearchParams({ ...params, client_id: tc.clientId }).toString().replace(new RegExp(`(^|&)${name}=[^&]*`), '')}&${name}=${v}` });
      }
    }
    // Whole-body oddities.
    for (const [what, headers, body] of [
      ['repeated parameters', FORM, `${await authed(params)}&client_id=${tc.clientId}&${Object.keys(params)[0] ?? 'x'}=a&${Object.keys(params)[0] ?? 'x'}=b`],
      ['nested keys', FORM, `${await authed(params)}&${deepKey(1000)}`],
      ['a thousand parameters', FORM, `${await authed(params)}&${Array.from({ length: 1000 }, (_, i) => `k${i}=${i}`).join('&')}`],
      ['invalid UTF-8 bytes', FORM, Buffer.concat([Buffer.from(`client_id=${tc.clientId}&token=`), Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28])])],
      ['JSON instead of a form', JSON_TYPE, JSON.stringify({ ...params, client_id: tc.clientId, token: '\u0000' })],
      ['JSON nested', JSON_TYPE, `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`],
      ['text/plain', { 'content-type': 'text/plain' }, 'client_id=x'],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n\u0000\r\n--x--\r\n'],
      ['form with charset utf-16', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' }, 'client_id=x'],
      ['empty form', FORM, ''],
      ['no content type', {}, 'client_id=x'],
      ['a DPoP header that is no JWT', { ...FORM, dpop: 'not.a.jwt' }, await authed(params)],
      ['an over-long DPoP header', { ...FORM, dpop: 'x'.repeat(8000) }, await authed(params)],
    ] as [string, Record<string, string>, string | Buffer][]) {
      await send(agent, `POST ${path} ${what}`, { method: 'POST', path, headers, body });
    }
    await send(agent, `GET ${path} ?%00`, { method: 'GET', path: `${path}?client_id=%00&token=%00` });
  }
  for (const [path, params] of Object.entries(GET_PARAMS)) {
    const names = [...new Set([...Object.keys(params), 'client_id', 'ui_locales'])];
    for (const name of names) {
      for (const v of CORE_VALUES) {
        const q = new URLSearchParams(params);
        q.delete(name);
        await send(agent, `GET ${path} ${name}=${v.slice(0, 20)}`, { method: 'GET', path: `${path}?${q.toString()}&${name}=${v}` });
      }
    }
    for (const v of ['%00', '%FF', '%ED%A0%80', 'x'.repeat(4000)]) {
      await send(agent, `GET ${path}/${v.slice(0, 10)}`, { method: 'GET', path: `${path}/${v}` });
      await send(agent, `GET ${path} cookie ${v.slice(0, 10)}`, { method: 'GET', path, headers: { cookie: `_session=${v}; _interaction=${v}; _session.legacy.sig=${v}` } });
    }
    await send(agent, `GET ${path} bearer %00`, { method: 'GET', path, headers: { authorization: 'Bearer %00' } });
  }
  // Registration management with odd ids and tokens; other methods.
  for (const v of ['%00', 'a%00b', '%FF', '%ED%A0%80', 'x'.repeat(4000), '..%2F..%2Fjwks']) {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      await send(agent, `${method} /oauth2/register/${v.slice(0, 10)}`, { method, path: `${OIDC_ROUTES.registration}/${v}`, headers: { ...JSON_TYPE, authorization: `Bearer ${v.slice(0, 200)}` }, ...(method === 'PUT' ? { body: '{"client_id":"\\u0000"}' } : {}) });
    }
  }
  const fives = tally.serverErrors;
  t.same(fives.map((v) => `${v.what}: ${v.problem}`), [], 'no 5xx');
  t.same(tally.verdicts.filter((v) => v.status === 'stalled' || v.status === 'failed').map((v) => `${v.what}: ${v.problem}`), [], 'every request was answered');
  t.same(tally.problems.filter((v) => typeof v.status === 'number' && v.status < 500).map((v) => `${v.what}: ${v.problem}`), [], 'every error answer has a machine-readable code');
});

t.test('registration: control characters, lone surrogates and odd shapes in the metadata are invalid_client_metadata', async (t) => {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const base = {
    client_name: 'corpus', redirect_uris: ['https://client.example/cb'], response_types: ['code'], grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256', use: 'sig' }] },
    scope: 'openid balances',
  };
  const fields = ['client_name', 'redirect_uris', 'tls_client_auth_subject_dn', 'jwks', 'scope', 'contacts', 'client_uri', 'logo_uri', 'policy_uri', 'token_endpoint_auth_method', 'software_id'];
  const values: unknown[] = ['\u0000', 'a\u0000b', 'a\ud800', '\u001b[31m', 'x'.repeat(70_000), 12345678901234567890, -1, null, [], ['\u0000'], {}, { a: '\u0000' }, true];
  let refused = 0;
  for (const f of fields) {
    for (const v of values) {
      const status = await send(agent, `POST /oauth2/register ${f}=${JSON.stringify(v).slice(0, 20)}`, {
        method: 'POST', path: OIDC_ROUTES.registration, headers: { ...JSON_TYPE, authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` }, body: JSON.stringify({ ...base, [f]: v }),
      });
      if (typeof status === 'number' && status >= 400 && status < 500) refused += 1;
    }
  }
  t.ok(refused > 0, `${refused} refused`);
  t.same(tally.serverErrors.map((v) => `${v.what}: ${v.problem}`), [], 'no 5xx');
});

t.test('DPoP proofs with odd claims are refused, not crashed on', async (t) => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const url = `${server.issuer}${OIDC_ROUTES.token}`;
  const claims: Record<string, unknown>[] = [
    { jti: '\u0000', htm: 'POST', htu: url }, { jti: 'x'.repeat(10_000), htm: 'POST', htu: url }, { jti: 'a\ud800', htm: 'POST', htu: url },
    { jti: randomUUID(), htm: '\u0000', htu: url }, { jti: randomUUID(), htm: 'POST', htu: `${url}\u0000` }, { jti: 1, htm: 'POST', htu: url },
    { jti: randomUUID(), htm: 'POST', htu: url, iat: 1e20 }, { jti: randomUUID(), htm: 'POST', htu: url, ath: '\u0000', nonce: '\u0000' },
  ];
  for (const c of claims) {
    const proof = await new SignJWT({ iat: Math.floor(Date.now() / 1000), ...c }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
    await send(agent, `POST /oauth2/token dpop ${JSON.stringify(c).slice(0, 30)}`, {
      method: 'POST', path: OIDC_ROUTES.token, headers: { ...FORM, dpop: proof },
      body: await authed({ grant_type: 'refresh_token', refresh_token: 'r'.repeat(43) }),
    });
  }
  t.same(tally.serverErrors.map((v) => `${v.what}: ${v.problem}`), [], 'no 5xx');
  t.same(tally.verdicts.filter((v) => v.status === 'stalled' || v.status === 'failed').map((v) => `${v.what}: ${v.problem}`), [], 'every request was answered');
});

t.test('large bodies to the provider are refused and leave the keep-alive connection usable', async (t) => {
  const fresh = keepAliveAgent();
  const sizes = [60 * 1024, 200 * 1024, 1024 * 1024];
  for (const size of sizes) {
    for (const path of [OIDC_ROUTES.token, OIDC_ROUTES.introspection, OIDC_ROUTES.pushed_authorization_request]) {
      const status = await send(fresh, `POST ${path} ${size} bytes`, { method: 'POST', path, headers: FORM, body: `client_id=${tc.clientId}&pad=${'a'.repeat(size)}` });
      t.ok(typeof status === 'number' && status >= 400 && status < 500, `${path} with ${size} bytes: ${status}`);
      const next = await send(fresh, `GET discovery after ${size} bytes to ${path}`, { method: 'GET', path: '/.well-known/openid-configuration' });
      t.equal(next, 200, `the next request after ${size} bytes to ${path} is answered`);
    }
  }
  const json = await send(fresh, 'POST /oauth2/register 1 MB JSON', {
    method: 'POST', path: OIDC_ROUTES.registration, headers: { ...JSON_TYPE, authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` }, body: JSON.stringify({ client_name: 'x'.repeat(1024 * 1024) }),
  });
  t.ok(typeof json === 'number' && json >= 400 && json < 500, `1 MB of JSON metadata: ${json}`);
  t.equal(await send(fresh, 'GET discovery after 1 MB JSON', { method: 'GET', path: '/.well-known/openid-configuration' }), 200);
});

t.test('the provider corpus: size and 5xx count', async (t) => {
  const fives = tally.serverErrors;
  t.comment(`provider corpus: ${tally.size} requests; 5xx: ${fives.length}; statuses ${JSON.stringify(tally.histogram())}`);
  t.ok(tally.size >= 1000, `${tally.size} requests`);
  t.equal(fives.length, 0, 'no 5xx');
  t.same(tally.problems.map((v) => `${v.what}: ${v.problem}`), [], 'no stalls, failures or errors without a code');
});
