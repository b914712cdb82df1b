import { randomBytes, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import t from 'tap';
import { certificateThumbprint } from '../../../src/certificates/from-request.ts';
import { mintAccessToken } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { USERS } from '../../helpers/fapi.ts';
import { mtlsSessionFor } from '../../helpers/mtls-session.ts';
import { connect, registerPartnerApp } from '../../helpers/partner-client.ts';

// DESIGN §15 "Partner side": RFC 7662 introspection answers for the API's access tokens, to the
// client they were issued to. The partner side is openid-client, as in the README.
t.setTimeout(240_000);
const initialAccessToken = randomBytes(32).toString('base64url');
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN: initialAccessToken } });
const { db } = server.database;
const SCOPE = 'offline_access balances transactions';

const app = await registerPartnerApp(server, { initialAccessToken, scope: SCOPE });
const other = await registerPartnerApp(server, { initialAccessToken, scope: SCOPE, clientName: '他社アプリ' });
const tokens = await connect(server, app, USERS.user1, SCOPE);

t.test('an active access token: scope, client_id, sub, exp, iat, cnf with the DPoP key thumbprint', async (t) => {
  const claims = decodeJwt(tokens.access_token);
  const r = await client.tokenIntrospection(app.config, tokens.access_token);
  t.equal(r.active, true);
  t.equal(r.scope, 'balances transactions', 'the granted API scopes');
  t.equal(r.client_id, app.clientId);
  t.equal(r.sub, claims.sub, 'the holder');
  t.equal(r.exp, claims.exp);
  t.equal(r.iat, claims.iat);
  t.equal(r.iss, server.issuer);
  t.equal(r.aud, server.config.apiIdentifier);
  t.equal(r.jti, claims.jti);
  t.equal(r.token_type, 'DPoP');
  t.same(r.cnf, { jkt: await calculateJwkThumbprint(await exportJWK(app.dpopKeys.publicKey)) }, 'bound to the client’s DPoP key');
});

t.test('another client’s access token is { active: false } and nothing more', async (t) => {
  t.same(await client.tokenIntrospection(other.config, tokens.access_token), { active: false });
});

t.test('expired, foreign and broken tokens are inactive', async (t) => {
  const expired = await mintAccessToken(db, tokens.access_token, { claims: { exp: Math.floor(Date.now() / 1000) - 60 } });
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const foreignKey = await mintAccessToken(db, tokens.access_token, { key: { key: privateKey, kid: 'not-ours' } });
  const otherAudience = await mintAccessToken(db, tokens.access_token, { claims: { aud: 'https://elsewhere.example/api' } });
  for (const [label, token] of ([['expired', expired], ['signed by another key', foreignKey], ['another audience', otherAudience], ['garbage', 'x'.repeat(40)]] as [string, string][])) {
    t.same(await client.tokenIntrospection(app.config, token!), { active: false }, label);
  }
});

t.test('a revoked access token is inactive; so is every token of an ended grant', async (t) => {
  const mine = await connect(server, app, USERS.user2, SCOPE);
  t.equal((await client.tokenIntrospection(app.config, mine.access_token)).active, true, 'active before');
  await client.tokenRevocation(app.config, mine.access_token);
  t.same(await client.tokenIntrospection(app.config, mine.access_token), { active: false }, 'revoked');
  const fresh = await client.refreshTokenGrant(app.config, mine.refresh_token!, undefined, { DPoP: app.dpop });
  t.equal((await client.tokenIntrospection(app.config, fresh.access_token)).active, true, 'a refreshed one is active');
  await client.tokenRevocation(app.config, mine.refresh_token!);
  t.same(await client.tokenIntrospection(app.config, fresh.access_token), { active: false }, 'the grant ended with its refresh token');
});

t.test('a user no longer active makes the token inactive', async (t) => {
  const mine = await connect(server, app, USERS.hanako, SCOPE);
  const who = db.updateTable('users').where('login_id', '=', USERS.hanako.loginId);
  await who.set({ status: 'locked', locked_at: new Date() }).execute();
  t.same(await client.tokenIntrospection(app.config, mine.access_token), { active: false }, 'locked');
  await who.set({ status: 'active', locked_at: null }).execute();
  t.equal((await client.tokenIntrospection(app.config, mine.access_token)).active, true, 'unlocked');
});

t.test('refresh tokens are introspected by the provider as before', async (t) => {
  const r = await client.tokenIntrospection(app.config, tokens.refresh_token!);
  t.equal(r.active, true);
  t.equal(r.client_id, app.clientId);
  t.same(await client.tokenIntrospection(other.config, tokens.refresh_token!), { active: false }, 'not to another client');
});

t.test('a certificate-bound access token on the mutual-TLS aliases: cnf carries x5t#S256; revoked at once there too', async (t) => {
  const s = await mtlsSessionFor(t, server, USERS.master.loginId, USERS.master.password, { scopes: ['balances'] });
  const customFetch = { [oauth.customFetch]: s.fetch as unknown as typeof fetch };
  const as = await oauth.processDiscoveryResponse(new URL(server.issuer), await oauth.discoveryRequest(new URL(server.issuer), customFetch));
  const c: oauth.Client = { client_id: s.tc.clientId, use_mtls_endpoint_aliases: true };
  const auth = oauth.PrivateKeyJwt({ key: s.tc.privateKey, kid: s.tc.kid });
  const r = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, s.tokens.access_token, customFetch));
  t.equal(r.active, true);
  t.equal(r.token_type, 'Bearer');
  t.same(r.cnf, { 'x5t#S256': certificateThumbprint(new X509Certificate(s.certificate.cert)) }, 'bound to the client certificate');
  const call = () => s.fetch(`${server.mtlsUrl}/api/v1/accounts/balances`, { headers: { authorization: `Bearer ${s.tokens.access_token}` } });
  t.equal((await call()).status, 200);
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, s.tokens.access_token, customFetch));
  t.equal((await call()).status, 401, 'revoked: refused on the next call');
});
