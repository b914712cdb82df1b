import * as oauth from 'oauth4webapi';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../helpers/oauth-client.ts';

const server = await startAuthServer(t);
const { db } = server.database;

t.test('ID token for openid, and userinfo with an access token asked for by scope=openid', async (t) => {
  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances'] });
  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access balances');
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  await b.post('login', { login_id: '2000000001', password: 'Hanako2024' });
  await b.post('pin', { account_id: b.values('account_id')[0]!, pin: '2580' });
  await b.post('pin/confirm', {});
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  const params = oauth.validateAuthResponse(c.as, c.client, callback!, oauth.expectNoState);
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
    await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }),
    { requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  const user = await db.selectFrom('users').select('id').where('login_id', '=', '2000000001').executeTakeFirstOrThrow();
  t.equal(claims.sub, user.id, 'the ID token names the holder');
  t.equal(claims.iss, server.issuer);

  const forUserinfo = await oauth.processRefreshTokenResponse(c.as, c.client,
    await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, { DPoP: c.DPoP, additionalParameters: { scope: 'openid' }, ...c.customFetch }));
  t.notMatch(forUserinfo.access_token, /^eyJ/, 'an opaque token for userinfo, not a JWT for the API');
  const info = await oauth.userInfoRequest(c.as, c.client, forUserinfo.access_token, { DPoP: c.DPoP, ...c.customFetch });
  const body = await oauth.processUserInfoResponse(c.as, c.client, claims.sub, info);
  t.equal(body.sub, user.id);

  // The login session ends after 10 minutes; the refresh token lives as long as the grant.
  await db.deleteFrom('oidc_payloads').where('model', '=', 'Session').execute();
  const apiToken = await oauth.processRefreshTokenResponse(c.as, c.client,
    await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, { DPoP: c.DPoP, ...c.customFetch }));
  t.match(apiToken.access_token, /^eyJ/, 'without scope the refresh gives an API token again, after the login session ended');
});
