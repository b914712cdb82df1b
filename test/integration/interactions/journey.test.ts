import * as oauth from 'oauth4webapi';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../helpers/oauth-client.ts';

const server = await startAuthServer(t);
const { db } = server.database;

t.test('the whole journey over HTTP: PAR, login, 利用業務, PIN, result, permission, code, DPoP-bound tokens', async (t) => {
  const tc = await insertTestClient(db);
  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access balances transactions');
  const b = new JourneyDriver(server);

  await b.go('GET', url.toString());
  t.equal(b.title, 'API連携認証（利用登録）', 'step 1: login');
  t.match(b.html, 'API利用規定');
  t.match(b.html, '電子証明書ログイン');
  t.match(b.html, 'テストクライアント（株式会社 入出金情報提供）', 'the client’s own name, and the partner’s legal name');
  await b.post('login', { login_id: '1000000002', password: 'User1pass2024' });
  t.equal(b.title, 'API連携認証（認可業務選択）', 'step 2: business selection');
  t.same(b.values('scope'), ['balances', 'transactions']);
  await b.post('business', { scope: ['balances'] });
  t.equal(b.title, 'API連携認証（照会用暗証番号登録）', 'step 3: PIN registration');
  const accounts = b.values('account_id');
  t.equal(accounts.length, 2, 'user 1 sees the two ordinary accounts');
  await b.post('pin', { account_id: accounts[0]!, pin: '7392' });
  t.equal(b.title, 'API連携認証（照会用暗証番号登録結果）', 'step 4: result');
  t.match(b.html, '照会用暗証番号の追加登録');
  await b.go('GET', `/interaction/${b.uid}`);
  t.equal(b.title, 'API連携認証（照会用暗証番号登録）', '追加登録 goes back to step 3');
  await b.post('pin', { account_id: b.values('account_id')[0]!, pin: '5816' });
  t.equal(b.title, 'API連携認証（照会用暗証番号登録結果）');
  await b.post('pin/confirm', {});
  t.equal(b.title, 'API連携認証（情報アクセス許可）', 'step 5: permission');
  for (const label of ['許可対象', '許可期間', '許可手続きを継続する', '許可', '拒否', '残高照会', '1000088', '1000658']) t.match(b.html, label);
  t.notMatch(b.html, '入出金明細照会', 'only the business chosen in step 2');
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.ok(callback, 'redirected to the client');
  t.equal(callback!.origin + callback!.pathname, tc.redirectUri);
  t.equal(callback!.searchParams.get('iss'), server.issuer, 'RFC 9207 iss in the response');

  const params = oauth.validateAuthResponse(c.as, c.client, callback!, oauth.expectNoState);
  const tokenResponse = await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch });
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client, tokenResponse, { requireIdToken: true });
  t.equal(tokens.token_type.toLowerCase(), 'dpop');
  t.ok(tokens.refresh_token, 'a refresh token for offline_access without prompt=consent');
  t.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
  const at = decodeJwt(tokens.access_token);
  t.equal(at.aud, `${server.issuer}/api/v1`);
  t.equal(at.scope, 'balances', 'the access token carries only what the holder allowed');
  t.equal(at.client_id, tc.clientId);
  t.ok((at.cnf as { jkt?: string }).jkt, 'DPoP-bound');
  t.ok(at.grant_id, 'carries the grant id');
  t.equal(Number(at.exp) - Number(at.iat), 600, 'valid 10 minutes');

  const grant = await db.selectFrom('grants').selectAll().where('oidc_grant_id', '=', String(at.grant_id)).executeTakeFirstOrThrow();
  t.same(grant.scopes, ['balances', 'offline_access']);
  const days = (grant.expires_at.getTime() - grant.granted_at.getTime()) / 86_400_000;
  t.equal(Math.round(days), 90, 'the client’s consent period');
  const covered = await db.selectFrom('grant_accounts').select('account_id').where('grant_id', '=', grant.id).execute();
  t.equal(covered.length, 2, 'both registered accounts are covered');

  const refreshed = await oauth.processRefreshTokenResponse(c.as, c.client,
    await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, { DPoP: c.DPoP, ...c.customFetch }));
  t.ok(refreshed.access_token, 'refresh works with the same DPoP key');
  t.equal(refreshed.refresh_token ?? tokens.refresh_token, tokens.refresh_token, 'and does not rotate the refresh token (FAPI 2.0)');

  const revoke = await oauth.revocationRequest(c.as, c.client, c.clientAuth, tokens.refresh_token!, c.customFetch);
  await oauth.processRevocationResponse(revoke);
  const ended = await db.selectFrom('grants').select(['revoked_at', 'revoked_by']).where('id', '=', grant.id).executeTakeFirstOrThrow();
  t.ok(ended.revoked_at, 'revoking the refresh token ends the grant');
  t.equal(ended.revoked_by, 'client');
});
