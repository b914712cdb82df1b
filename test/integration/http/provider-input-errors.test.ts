import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { insertTestClient, oauthClientFor } from '../../helpers/oauth-client.ts';

// The provider's endpoints read the raw request, past Fastify's parsers and its input guard: a NUL
// byte or a control character that would reach the database is stopped in the adapter (an id that
// names nothing) and in the registration policy (metadata), so the answers are OAuth errors, never 500.
t.setTimeout(180_000);

const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN } });
const { db } = server.database;
const tc = await insertTestClient(db);
const c = await oauthClientFor(server, tc);

const ODD_TOKENS = ['abc\u0000def', '\u0000', '\u0001\u001f', 'a\ud800', 'x'.repeat(5000)];

t.test('introspection and revocation of a token with a NUL or control characters: not active, never 500', async (t) => {
  for (const token of ODD_TOKENS) {
    const what = JSON.stringify(token.slice(0, 12));
    const i = await oauth.introspectionRequest(c.as, c.client, c.clientAuth, token, c.customFetch);
    t.equal(i.status, 200, `introspect ${what}`);
    t.same(await i.json(), { active: false });
    const r = await oauth.revocationRequest(c.as, c.client, c.clientAuth, token, c.customFetch);
    t.equal(r.status, 200, `revoke ${what}`);
  }
});

async function register(body: unknown) {
  const res = await server.fetch(`${server.issuer}/oauth2/register`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const TLS_CLIENT = {
  client_name: 'mTLS client', redirect_uris: ['https://client.example/cb'], token_endpoint_auth_method: 'tls_client_auth',
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], tls_client_certificate_bound_access_tokens: true,
};

t.test('registration refuses control characters in any metadata value as invalid_client_metadata', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['NUL in tls_client_auth_subject_dn', { tls_client_auth_subject_dn: 'CN=a\u0000b' }],
    ['NUL alone as the DN', { tls_client_auth_subject_dn: '\u0000' }],
    ['a newline in client_name', { tls_client_auth_subject_dn: 'CN=ok', client_name: 'two\nlines' }],
    ['NUL in a redirect URI', { tls_client_auth_subject_dn: 'CN=ok', redirect_uris: ['https://client.example/c\u0000b'] }],
    ['NUL in a contact', { tls_client_auth_subject_dn: 'CN=ok', contacts: ['a\u0000@example.test'] }],
  ];
  for (const [what, extra] of cases) {
    const r = await register({ ...TLS_CLIENT, ...extra });
    t.equal(r.status, 400, what);
    t.match(r.body.error, /^invalid_(client_metadata|redirect_uri)$/, `${what}: ${JSON.stringify(r.body)}`);
  }
  const surrogate = await register(`${JSON.stringify({ ...TLS_CLIENT, tls_client_auth_subject_dn: 'CN=ok' }).slice(0, -1)},"client_name":"x\\ud800"}`);
  t.equal(surrogate.status, 400, 'an unpaired surrogate');
  t.equal(surrogate.body.error, 'invalid_client_metadata');
  t.match(String((await register({ ...TLS_CLIENT, tls_client_auth_subject_dn: 'CN=a\u0000b' })).body.error_description), /^tls_client_auth_subject_dn must not contain control characters$/);
  const ok = await register({ ...TLS_CLIENT, tls_client_auth_subject_dn: 'CN=partner.example,O=パートナー株式会社' });
  t.equal(ok.status, 201, `a plain DN, Japanese included, is still accepted: ${JSON.stringify(ok.body)}`);
});

t.test('a client id or registration id with a NUL names no client', async (t) => {
  const par = await server.fetch(`${server.issuer}/oauth2/par`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'a\u0000b', response_type: 'code', redirect_uri: 'https://client.example/cb' }),
  });
  t.equal(par.status, 401, 'PAR');
  t.equal(((await par.json()) as { error: string }).error, 'invalid_client');
  const auth = await server.fetch(`${server.issuer}/oauth2/authorize?client_id=%00&request_uri=urn:x`, { headers: { accept: 'application/json' } });
  t.equal(auth.status, 400, 'authorization endpoint');
  const mgmt = await server.fetch(`${server.issuer}/oauth2/register/%00`, { headers: { authorization: 'Bearer x\u007fy'.replace('\u007f', '%7F'), accept: 'application/json' } });
  t.ok(mgmt.status >= 400 && mgmt.status < 500, `registration management: ${mgmt.status}`);
  await mgmt.arrayBuffer();
});

t.test('a path under /oauth2/ that names no endpoint is a 404 in the error format, not plain text', async (t) => {
  for (const [method, path] of [['GET', '/oauth2/nope'], ['POST', '/oauth2/device/auth'], ['GET', '/oauth2/jwks/%00'], ['GET', '/oauth2/token']] as const) {
    const res = await server.fetch(`${server.issuer}${path}`, { method, headers: { accept: 'application/json' } });
    t.equal(res.status, 404, `${method} ${path}`);
    t.match(res.headers.get('content-type'), /application\/json/);
    t.same(await res.json(), { error: 'not_found', error_description: 'The requested resource was not found.' });
    t.ok(res.headers.get('x-request-id'), 'with the request id');
  }
  const known = await server.fetch(`${server.issuer}/oauth2/jwks`);
  t.equal(known.status, 200, 'the endpoints themselves are untouched');
  await known.arrayBuffer();
});
