import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import t from 'tap';
import { DEMO_PARTNER } from '../../../src/db/seed/demo-data.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { advanceToConsent, exchangeCode, login, oauthError, preRegisterPins, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { oauthClientFor, pushAuthorization, type TestClient } from '../../helpers/oauth-client.ts';

const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url'); // 43 characters
// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN } });
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);
const registrationEndpoint = `${server.issuer}/oauth2/register`;

/** A FAPI client's metadata with a fresh ES256 key. */
async function fapiMetadata(overrides: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const metadata = {
    client_name: 'Registered by RFC 7591', redirect_uris: ['https://client.example/cb'], response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    scope: 'openid offline_access balances transactions', dpop_bound_access_tokens: true, ...overrides,
  };
  return { metadata, privateKey, kid };
}

async function register(body: unknown, token: string | null = INITIAL_ACCESS_TOKEN) {
  const res = await server.fetch(registrationEndpoint, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function management(method: 'GET' | 'PUT' | 'DELETE', uri: string, token: string, body?: unknown) {
  const res = await server.fetch(uri, {
    method, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: res.headers };
}

t.test('a partner registers a FAPI client with the initial access token, and a whole journey works with it', async (t) => {
  const { metadata, privateKey, kid } = await fapiMetadata();
  const r = await register(metadata);
  t.equal(r.status, 201, JSON.stringify(r.body));
  const clientId = r.body.client_id as string;
  t.ok(clientId);
  t.equal(r.body.scope, 'openid offline_access balances transactions', 'scope as registered');
  t.notOk('renkei_business_scopes' in r.body, 'no internal metadata shown');
  t.ok(r.body.registration_access_token);
  t.equal(r.body.registration_client_uri, `${registrationEndpoint}/${clientId}`);
  t.equal(r.body.token_endpoint_auth_method, 'private_key_jwt');
  t.equal(r.body.dpop_bound_access_tokens, true);

  const row = await db.selectFrom('oauth_clients').innerJoin('partners', 'partners.id', 'oauth_clients.partner_id')
    .select(['partners.legal_name', 'oauth_clients.allowed_scopes', 'oauth_clients.status']).where('client_id', '=', clientId).executeTakeFirstOrThrow();
  t.equal(row.legal_name, DEMO_PARTNER.legalName, 'belongs to the demo partner');
  t.same([...row.allowed_scopes].sort(), ['balances', 'offline_access', 'openid', 'transactions']);
  const audited = await db.selectFrom('audit_events').select('details').where('type', '=', 'client.registered').execute();
  t.ok(audited.some((a) => (a.details as { clientId?: string }).clientId === clientId), 'the registration is audited');

  const tc: TestClient = { clientId, redirectUri: 'https://client.example/cb', privateKey, kid };
  const { b, c, codeVerifier } = await startJourney(server, tc);
  t.equal(b.title, TITLES.login);
  t.match(b.html, `Registered by RFC 7591（${DEMO_PARTNER.legalName}）`, 'the client’s own client_name asks, with the partner’s legal name (DESIGN §15)');
  await login(b, USERS.user1);
  await advanceToConsent(b);
  t.match(b.html, 'Registered by RFC 7591', 'its name on the permission screen');
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  const tokens = await exchangeCode(c, tc, callback!, codeVerifier);
  t.equal(decodeJwt(tokens.access_token).client_id, clientId);
  t.equal(decodeJwt(tokens.access_token).scope, 'balances transactions');
  t.ok(tokens.refresh_token);
});

t.test('registration without an initial access token, or with a wrong one, is refused with invalid_token', async (t) => {
  const { metadata } = await fapiMetadata();
  for (const token of [null, 'x'.repeat(43), `${INITIAL_ACCESS_TOKEN}x`]) {
    const r = await register(metadata, token);
    t.equal(r.status, 401, `${token?.slice(0, 6) ?? 'none'}`);
    t.equal(r.body.error, 'invalid_token');
  }
});

t.test('RFC 7592: the client reads, updates and deletes its registration with the registration access token', async (t) => {
  const { metadata, privateKey, kid } = await fapiMetadata();
  const created = await register(metadata);
  t.equal(created.status, 201);
  const uri = created.body.registration_client_uri as string;
  const clientId = created.body.client_id as string;
  const rat = created.body.registration_access_token as string;

  const read = await management('GET', uri, rat);
  t.equal(read.status, 200);
  t.equal(read.body.client_id, clientId);
  t.equal(read.body.scope, 'openid offline_access balances transactions');
  t.equal((await management('GET', uri, 'wrong-token-wrong-token-wrong-token-wrong')).status, 401, 'another token cannot read it');

  const update = { ...metadata, client_id: clientId, client_name: 'Renamed', scope: 'openid offline_access balances transactions transfers' };
  const updated = await management('PUT', uri, rat, update);
  t.equal(updated.status, 200, JSON.stringify(updated.body));
  t.equal(updated.body.client_name, 'Renamed');
  const newRat = updated.body.registration_access_token as string;
  t.ok(newRat && newRat !== rat, 'the registration access token is rotated');
  t.equal((await management('GET', uri, rat)).status, 401, 'the old one is dead');
  const row = await db.selectFrom('oauth_clients').select(['metadata', 'allowed_scopes']).where('client_id', '=', clientId).executeTakeFirstOrThrow();
  t.equal(row.metadata.client_name, 'Renamed');
  t.notOk(row.allowed_scopes.includes('transfers'), 'an update never widens what the bank allowed');
  const reread = await management('GET', uri, newRat);
  t.notMatch(String(reread.body.scope), /transfers/, 'and the registration does not claim it');

  const deleted = await management('DELETE', uri, newRat);
  t.equal(deleted.status, 204);
  const status = await db.selectFrom('oauth_clients').select('status').where('client_id', '=', clientId).executeTakeFirstOrThrow();
  t.equal(status.status, 'disabled', 'kept for the records, disabled');
  const c = await oauthClientFor(server, { clientId, redirectUri: 'https://client.example/cb', privateKey, kid });
  t.equal(await oauthError(pushAuthorization(c, { clientId, redirectUri: 'https://client.example/cb', privateKey, kid }, 'openid balances')), 'invalid_client', 'the client no longer works');
});

t.test('an initial access token issued to another partner registers a client for that partner', async (t) => {
  const partner = await db.insertInto('partners').values({ legal_name: '株式会社 テスト会計', service_name: 'テスト会計クラウド' }).returning('id').executeTakeFirstOrThrow();
  const token = randomBytes(32).toString('base64url');
  await db.insertInto('initial_access_tokens').values({ partner_id: partner.id, token_hash: createHash('sha256').update(token).digest('hex') }).execute();
  const { metadata, privateKey, kid } = await fapiMetadata({ scope: 'openid balances' });
  const r = await register(metadata, token);
  t.equal(r.status, 201, JSON.stringify(r.body));
  const row = await db.selectFrom('oauth_clients').select(['partner_id', 'allowed_scopes']).where('client_id', '=', r.body.client_id as string).executeTakeFirstOrThrow();
  t.equal(row.partner_id, partner.id, 'that partner’s client');
  t.same([...row.allowed_scopes].sort(), ['balances', 'openid']);
  const tc: TestClient = { clientId: r.body.client_id as string, redirectUri: 'https://client.example/cb', privateKey, kid };
  const { b } = await startJourney(server, tc, { scope: 'openid balances' });
  t.match(b.html, 'Registered by RFC 7591（株式会社 テスト会計）', 'the journey names that partner');

  await db.updateTable('initial_access_tokens').set({ revoked_at: new Date() }).where('partner_id', '=', partner.id).execute();
  t.equal((await register((await fapiMetadata()).metadata, token)).status, 401, 'a revoked token no longer registers');
});

t.test('registration metadata outside the profile is refused', async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an unknown scope', { scope: 'openid balances payments' }, 'invalid_client_metadata'],
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
    ['auth method none', { token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    ['RS256 ID tokens', { id_token_signed_response_alg: 'RS256' }, 'invalid_client_metadata'],
    ['RS256 client assertions', { token_endpoint_auth_signing_alg: 'RS256' }, 'invalid_client_metadata'],
    ['the implicit response type', { response_types: ['token'] }, 'invalid_client_metadata'],
    ['an http redirect URI', { redirect_uris: ['http://client.example/cb'] }, 'invalid_redirect_uri'],
  ];
  const before = await db.selectFrom('oauth_clients').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  for (const [name, overrides, error] of cases) {
    const r = await register((await fapiMetadata(overrides)).metadata);
    t.equal(r.status, 400, name);
    t.equal(r.body.error, error, `${name}: ${error}`);
  }
  const after = await db.selectFrom('oauth_clients').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(String(after.n), String(before.n), 'nothing was stored');
});

t.test('the demo’s token is an ordinary initial access token: stored hashed, replaced when the demo runs with another', async (t) => {
  const rows = await db.selectFrom('initial_access_tokens').innerJoin('partners', 'partners.id', 'initial_access_tokens.partner_id')
    .select(['token_hash', 'revoked_at', 'expires_at', 'partners.legal_name']).execute();
  const demo = rows.filter((r) => r.legal_name === DEMO_PARTNER.legalName);
  t.same(demo.map((r) => r.token_hash), [createHash('sha256').update(INITIAL_ACCESS_TOKEN).digest('hex')], 'one row for the demo partner, its hash');
  t.equal(demo[0]!.expires_at, null);

  const next = randomBytes(32).toString('base64url');
  await seedDemoData(db, { today: '2026-11-20', initialAccessToken: next });
  t.equal((await register((await fapiMetadata()).metadata, next)).status, 201, 'the new token registers');
  t.equal((await register((await fapiMetadata()).metadata)).status, 401, 'the former one no longer does');
  await seedDemoData(db, { today: '2026-11-20', initialAccessToken: INITIAL_ACCESS_TOKEN });
  t.equal((await register((await fapiMetadata()).metadata)).status, 201, 'running with it again brings it back');
  t.equal((await register((await fapiMetadata()).metadata, next)).status, 401, 'and retires the other');
  await seedDemoData(db, { today: '2026-11-20' });
  t.equal((await register((await fapiMetadata()).metadata)).status, 201, 'seeding without a token leaves the token as it is');
});

t.test('registration requires client_name: the journey names the service by it (DESIGN §15)', async (t) => {
  const before = await db.selectFrom('oauth_clients').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  for (const [label, overrides] of [['no client_name', { client_name: undefined }], ['an empty one', { client_name: '' }], ['blanks', { client_name: '  ' }], ['not a string', { client_name: 42 }]] as const) {
    const r = await register((await fapiMetadata(overrides)).metadata);
    t.equal(r.status, 400, label);
    t.equal(r.body.error, 'invalid_client_metadata', label);
    if (label === 'no client_name') t.match(r.body.error_description, /client_name/, 'the description names it');
  }
  const after = await db.selectFrom('oauth_clients').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(String(after.n), String(before.n), 'nothing was stored');

  const { metadata } = await fapiMetadata();
  const created = await register(metadata);
  const update = await management('PUT', created.body.registration_client_uri as string, created.body.registration_access_token as string,
    { ...metadata, client_id: created.body.client_id, client_name: undefined });
  t.equal(update.status, 400, 'an RFC 7592 update cannot drop it');
  t.equal(update.body.error, 'invalid_client_metadata', JSON.stringify(update.body));
});

t.test('a client registered with API scopes only (no openid) is valid: PAR, journey, token, API and RFC 7592 work', async (t) => {
  const { metadata, privateKey, kid } = await fapiMetadata({ scope: 'balances' });
  const created = await register(metadata);
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.equal(created.body.scope, 'balances', 'scope as registered');
  const clientId = created.body.client_id as string;
  const uri = created.body.registration_client_uri as string;
  const read = await management('GET', uri, created.body.registration_access_token as string);
  t.equal(read.status, 200, `RFC 7592 read ${JSON.stringify(read.body)}`);
  t.equal(read.body.scope, 'balances');
  const updated = await management('PUT', uri, created.body.registration_access_token as string, { ...metadata, client_id: clientId, client_name: 'API only, renamed' });
  t.equal(updated.status, 200, `RFC 7592 update ${JSON.stringify(updated.body)}`);
  t.equal(updated.body.client_name, 'API only, renamed');
  t.equal(updated.body.scope, 'balances');

  const tc: TestClient = { clientId, redirectUri: 'https://client.example/cb', privateKey, kid };
  const { b, c, codeVerifier } = await startJourney(server, tc, { scope: 'balances' });
  t.equal(b.title, TITLES.login, 'PAR accepted, the journey starts');
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  const params = oauth.validateAuthResponse(c.as, c.client, callback!, oauth.expectNoState);
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
    await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
  t.notOk(tokens.id_token, 'no ID token without openid');
  t.equal(decodeJwt(tokens.access_token).scope, 'balances');
  const api = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL('/api/v1/accounts/balances', server.issuer), new Headers(), null, { DPoP: c.DPoP, ...c.customFetch });
  t.equal(api.status, 200, 'the API answers');

  for (const scope of ['openid balances', 'offline_access balances']) {
    t.equal(await oauthError(pushAuthorization(c, tc, scope)), 'invalid_scope', `${scope}: an OIDC scope it did not register is refused at PAR`);
  }
});
