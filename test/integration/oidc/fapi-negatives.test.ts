import { createSecretKey, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { sql } from 'kysely';
import * as oauth from 'oauth4webapi';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import {
  assertionAuth, authorize, clientAssertion, completeJourney, exchangeCode, FULL_SCOPE, grantsOf, oauthError, preRegisterPins, refreshError, USERS,
} from '../../helpers/fapi.ts';
import { insertTestClient, oauthClientFor, type OAuthClient, type TestClient } from '../../helpers/oauth-client.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);

/** A PAR request with the given parameters (PKCE left to the caller) and client authentication. */
async function par(c: OAuthClient, tc: TestClient, params: Record<string, string>, opts: { auth?: oauth.ClientAuth; DPoP?: oauth.DPoPHandle } = {}) {
  const body = new URLSearchParams({ redirect_uri: tc.redirectUri, scope: FULL_SCOPE, response_type: 'code', ...params });
  const response = await oauth.pushedAuthorizationRequest(c.as, c.client, opts.auth ?? c.clientAuth, body, { DPoP: opts.DPoP ?? c.DPoP, ...c.customFetch });
  return oauth.processPushedAuthorizationResponse(c.as, c.client, response);
}

const S256 = async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  return { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
};

/** The error of a response that is either a redirect to the client or an error page. */
async function authorizationError(res: Response): Promise<{ error: string | null; where: 'redirect' | 'page' }> {
  const location = res.headers.get('location');
  if (location && URL.canParse(location) && new URL(location).origin === 'https://client.example') {
    return { error: new URL(location).searchParams.get('error'), where: 'redirect' };
  }
  const html = await res.text();
  return { error: /<code>([a-z_]+)<\/code>/.exec(html)?.[1] ?? null, where: 'page' };
}

t.test('an authorization request without PAR is refused', async (t) => {
  const tc = await insertTestClient(db);
  const url = new URL('/oauth2/authorize', server.issuer);
  for (const [k, v] of Object.entries({ client_id: tc.clientId, response_type: 'code', redirect_uri: tc.redirectUri, scope: FULL_SCOPE, ...(await S256()) })) url.searchParams.set(k, v);
  const res = await server.fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
  t.not(res.status, 500);
  const { error } = await authorizationError(res);
  t.equal(error, 'invalid_request');
  t.notOk(res.headers.get('location')?.includes('/interaction/'), 'no journey starts');
});

t.test('a pushed authorization request without PKCE is refused', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  t.equal(await oauthError(par(c, tc, {})), 'invalid_request');
});

t.test('PKCE with the plain method is refused', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  const verifier = oauth.generateRandomCodeVerifier();
  t.equal(await oauthError(par(c, tc, { code_challenge: verifier, code_challenge_method: 'plain' })), 'invalid_request');
});

t.test('a client assertion whose audience is the token endpoint instead of the issuer is refused', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  const make = (aud: string) => assertionAuth(() => clientAssertion({ clientId: tc.clientId, aud, key: tc.privateKey, alg: 'ES256', kid: tc.kid }));
  t.equal(await oauthError(par(c, tc, await S256(), { auth: make(c.as.token_endpoint!) })), 'invalid_client', 'token endpoint as aud');
  t.equal(await oauthError(par(c, tc, await S256(), { auth: make(server.issuer) })), undefined, 'the issuer as aud works');
});

t.test('client assertions signed with RS256 or HS256 are refused', async (t) => {
  const tc = await insertTestClient(db, { alg: 'PS256' });
  const c = await oauthClientFor(server, tc);
  // The client's own RSA key, but PKCS#1 v1.5 instead of PSS.
  const sameKeyForRs256 = await importJWK(await exportJWK(tc.privateKey), 'RS256') as CryptoKey;
  const rs256 = assertionAuth(() => clientAssertion({ clientId: tc.clientId, aud: server.issuer, key: sameKeyForRs256, alg: 'RS256', kid: tc.kid }));
  t.equal(await oauthError(par(c, tc, await S256(), { auth: rs256 })), 'invalid_client', 'RS256');
  const hs256 = assertionAuth(() => clientAssertion({ clientId: tc.clientId, aud: server.issuer, key: createSecretKey(randomBytes(32)) as never, alg: 'HS256' }));
  t.equal(await oauthError(par(c, tc, await S256(), { auth: hs256 })), 'invalid_client', 'HS256');
  const ps256 = assertionAuth(() => clientAssertion({ clientId: tc.clientId, aud: server.issuer, key: tc.privateKey, alg: 'PS256', kid: tc.kid }));
  t.equal(await oauthError(par(c, tc, await S256(), { auth: ps256 })), undefined, 'PS256 with the same key works');
});

t.test('a DPoP proof signed with RS256 is refused', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const dpop = oauth.DPoP(c.client, rsa);
  t.equal(await oauthError(par(c, tc, await S256(), { DPoP: dpop })), 'invalid_dpop_proof');
});

t.test('redirect URIs are matched exactly at PAR', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  for (const uri of ['https://client.example/cb/', 'https://client.example/cb?x=1', 'https://CLIENT.example/cb', 'http://client.example/cb', 'https://client.example/other']) {
    // oidc-provider answers a PAR's redirect URI mismatch with invalid_request (RFC 9126 §2.3).
    t.equal(await oauthError(par(c, tc, { ...(await S256()), redirect_uri: uri })), 'invalid_request', uri);
  }
});

t.test('a resource other than the API is refused', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  t.equal(await oauthError(par(c, tc, { ...(await S256()), resource: 'https://evil.example/api' })), 'invalid_target');
  t.equal(await oauthError(par(c, tc, { ...(await S256()), resource: `${server.issuer}/api/v1` })), undefined, 'the API itself is fine');
});

t.test('the code exchange of a DPoP-bound client without a DPoP proof is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { c, callback, codeVerifier } = await authorize(server, tc, USERS.user1);
  t.equal(callback.searchParams.get('iss'), server.issuer, 'iss in the authorization response');
  const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
  const response = await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, c.customFetch);
  // The code is bound to the PAR's DPoP key (dpop_jkt): without a proof the grant request is invalid.
  t.equal(await oauthError(oauth.processAuthorizationCodeResponse(c.as, c.client, response)), 'invalid_grant');
  t.same(await grantsOf(db, tc.clientId).then((g) => g.map((x) => x.revoked_at)), [null], 'a refused exchange does not end the grant');
});

t.test('reusing a code is refused and revokes the grant it produced', async (t) => {
  const tc = await insertTestClient(db);
  const { c, callback, codeVerifier } = await authorize(server, tc, USERS.user1);
  const first = await exchangeCode(c, tc, callback, codeVerifier);
  t.ok(first.refresh_token);
  t.equal(await oauthError(exchangeCode(c, tc, callback, codeVerifier)), 'invalid_grant', 'second exchange');
  t.equal(await refreshError(c, first.refresh_token!), 'invalid_grant', 'the first exchange’s refresh token is dead');
  const [grant] = await grantsOf(db, tc.clientId);
  t.ok(grant!.revoked_at, 'the bank grant ended');
  t.equal(grant!.revoked_by, 'system');
});

t.test('a code older than 60 seconds is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { c, callback, codeVerifier } = await authorize(server, tc, USERS.user1);
  const code = callback.searchParams.get('code')!;
  const stored = await db.selectFrom('oidc_payloads').select([sql<number>`extract(epoch from expires_at - now())`.as('left')])
    .where('model', '=', 'AuthorizationCode').where('id', '=', code).executeTakeFirstOrThrow();
  t.ok(Number(stored.left) <= 60, `a code lives at most 60 s (${Number(stored.left).toFixed(1)} s left)`);
  const moved = await db.updateTable('oidc_payloads').set({ expires_at: sql<Date>`now() - interval '61 seconds'` })
    .where('model', '=', 'AuthorizationCode').where('id', '=', code).executeTakeFirst();
  t.equal(moved.numUpdatedRows, 1n, 'the code is stored under its value');
  t.equal(await oauthError(exchangeCode(c, tc, callback, codeVerifier)), 'invalid_grant');
});

t.test('a refresh with another DPoP key is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { c, tokens } = await completeJourney(server, tc, USERS.user1);
  const other = oauth.DPoP(c.client, await oauth.generateKeyPair('ES256'));
  t.equal(await refreshError(c, tokens.refresh_token!, other), 'invalid_grant', 'another key');
  t.equal(await refreshError(c, tokens.refresh_token!), undefined, 'the bound key still works');
});

t.test('a refresh without client authentication, or with another client’s refresh token, is refused', async (t) => {
  const tc = await insertTestClient(db);
  const { c, tokens } = await completeJourney(server, tc, USERS.user1);
  const none: oauth.ClientAuth = () => {};
  const noAuth = await oauth.refreshTokenGrantRequest(c.as, c.client, none, tokens.refresh_token!, { DPoP: c.DPoP, ...c.customFetch });
  const error = await oauthError(oauth.processRefreshTokenResponse(c.as, c.client, noAuth));
  t.equal(error, 'invalid_request', 'no client authentication (oidc-provider: no client authentication mechanism provided)');
  const tc2 = await insertTestClient(db);
  const c2 = await oauthClientFor(server, tc2);
  t.equal(await refreshError(c2, tokens.refresh_token!), 'invalid_grant', 'client 2 with client 1’s refresh token');
});

t.test('introspection: a client sees its own refresh token, not another client’s', async (t) => {
  const tc = await insertTestClient(db);
  const { c, tokens } = await completeJourney(server, tc, USERS.user1);
  const own = await oauth.processIntrospectionResponse(c.as, c.client,
    await oauth.introspectionRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, c.customFetch));
  t.equal(own.active, true, 'own refresh token is active');
  t.equal(own.client_id, tc.clientId);
  t.match(own.scope, /\bbalances\b/, 'the granted scope');
  t.ok(own.sub, 'the holder');

  const tc2 = await insertTestClient(db);
  const c2 = await oauthClientFor(server, tc2);
  const foreign = await oauth.processIntrospectionResponse(c2.as, c2.client,
    await oauth.introspectionRequest(c2.as, c2.client, c2.clientAuth, tokens.refresh_token!, c2.customFetch));
  t.same(foreign, { active: false }, 'another client’s token: active false, nothing more');
});

t.test('revoking a refresh token (RFC 7009) ends the grant; another client cannot revoke it', async (t) => {
  const tc = await insertTestClient(db);
  const { c, tokens } = await completeJourney(server, tc, USERS.user1);
  const tc2 = await insertTestClient(db);
  const c2 = await oauthClientFor(server, tc2);
  const foreign = await oauth.revocationRequest(c2.as, c2.client, c2.clientAuth, tokens.refresh_token!, c2.customFetch);
  t.equal(foreign.status, 400, 'another client: refused');
  t.match(await foreign.json(), { error: 'invalid_request' });
  t.equal(await refreshError(c, tokens.refresh_token!), undefined, 'the refresh token still works');
  t.equal((await grantsOf(db, tc.clientId))[0]!.revoked_at, null, 'the grant stands');
  await oauth.processRevocationResponse(await oauth.revocationRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, c.customFetch));
  t.equal(await refreshError(c, tokens.refresh_token!), 'invalid_grant', 'the refresh token is dead');
  const [grant] = await grantsOf(db, tc.clientId);
  t.equal(grant!.revoked_by, 'client');
  const inspected = await oauth.processIntrospectionResponse(c.as, c.client,
    await oauth.introspectionRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, c.customFetch));
  t.equal(inspected.active, false);
});

t.test('userinfo with the JWT access token: what happens today (reported, see pitfall 8.11)', async (t) => {
  const tc = await insertTestClient(db);
  const { c, tokens } = await completeJourney(server, tc, USERS.user1);
  const res = await oauth.userInfoRequest(c.as, c.client, tokens.access_token, { DPoP: c.DPoP, ...c.customFetch });
  // oidc-provider looks JWT access tokens up in its store and does not find them; the token's audience
  // is also the resource API, not userinfo. The endpoint is advertised but unusable (see the report).
  t.equal(res.status, 401);
  t.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

t.test('a refresh token expires with its grant, at the end of the consent period', async (t) => {
  const tc = await insertTestClient(db, { consentPeriodDays: 30 });
  const { tokens } = await completeJourney(server, tc, USERS.user1);
  const [grant] = await grantsOf(db, tc.clientId);
  const rt = await db.selectFrom('oidc_payloads').select('expires_at').where('model', '=', 'RefreshToken').where('id', '=', tokens.refresh_token!).executeTakeFirstOrThrow();
  const gap = Math.abs(rt.expires_at!.getTime() - grant!.expires_at.getTime()) / 1000;
  t.ok(gap <= 60, `the refresh token's expiry is the grant's (${gap.toFixed(0)} s apart)`);
});
