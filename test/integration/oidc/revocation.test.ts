import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import t from 'tap';
import { mintAccessToken } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { grantsOf, USERS } from '../../helpers/fapi.ts';
import { apiGet, connect, partnerError, registerPartnerApp } from '../../helpers/partner-client.ts';
import { purgeExpiredRevocations } from '../../../src/resource-api/spent-token-purge.ts';

// DESIGN §15 "Partner side": RFC 7009 revocation accepts access and refresh tokens; an access token
// ends at once, a refresh token ends the grant. The partner side is openid-client, as in the README.
t.setTimeout(240_000);
const initialAccessToken = randomBytes(32).toString('base64url');
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN: initialAccessToken } });
const { db } = server.database;
const SCOPE = 'offline_access balances';

const app = await registerPartnerApp(server, { initialAccessToken, scope: SCOPE });
const other = await registerPartnerApp(server, { initialAccessToken, scope: SCOPE, clientName: '他社アプリ' });

async function revokeRaw(token: string, auth = app) {
  const res = await client.tokenRevocation(auth.config, token).then(() => ({ status: 200, error: undefined }), (err: { status?: number; error?: string; cause?: { status?: number; error?: string } }) => ({
    status: err.status ?? err.cause?.status, error: err.error ?? err.cause?.error,
  }));
  return res;
}

t.test('revoking an access token ends it at once: the next API call is 401 invalid_token; the grant stays', async (t) => {
  const tokens = await connect(server, app, USERS.user1, SCOPE);
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 200, 'works before');
  t.same(await revokeRaw(tokens.access_token), { status: 200, error: undefined }, 'RFC 7009: 200');
  const after = await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances');
  t.equal(after.status, 401);
  t.match(await after.json(), { errorCode: 'invalid_token' });
  t.match(after.headers.get('www-authenticate'), /error="invalid_token"/);
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts')).status, 401, 'on every endpoint');
  const row = await db.selectFrom('revoked_access_tokens').selectAll().where('jti', '=', decodeJwt(tokens.access_token).jti!).executeTakeFirst();
  t.equal(row?.client_id, app.clientId, 'recorded durably, by jti');

  t.equal((await grantsOf(db, app.clientId))[0]!.revoked_at, null, 'the grant stands');
  const refreshed = await client.refreshTokenGrant(app.config, tokens.refresh_token!, undefined, { DPoP: app.dpop });
  t.equal((await apiGet(server, app, refreshed.access_token, '/api/v1/accounts/balances')).status, 200, 'a refreshed access token works');
  t.same(await revokeRaw(tokens.access_token), { status: 200, error: undefined }, 'revoking it again: 200 all the same');
});

t.test('another client cannot revoke an access token: 400 invalid_request, and the token keeps working', async (t) => {
  const tokens = await connect(server, app, USERS.user1, SCOPE);
  t.match(await revokeRaw(tokens.access_token, other), { status: 400, error: 'invalid_request' });
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 200, 'still works');
});

t.test('tokens that are not live ones of this server: 200 and nothing recorded (RFC 7009 §2.2)', async (t) => {
  const tokens = await connect(server, app, USERS.user1, SCOPE);
  const before = await db.selectFrom('revoked_access_tokens').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const expired = await mintAccessToken(db, tokens.access_token, { claims: { exp: Math.floor(Date.now() / 1000) - 60, jti: 'expired-one' } });
  const otherIssuer = await mintAccessToken(db, tokens.access_token, { claims: { iss: 'https://elsewhere.example', jti: 'foreign-one' } });
  for (const [label, token] of ([['expired', expired], ['another issuer', otherIssuer], ['garbage', 'not-a-token'], ['a broken JWT', `${tokens.access_token.slice(0, -4)}AAAA`]] as [string, string][])) {
    t.same(await revokeRaw(token), { status: 200, error: undefined }, label);
  }
  const after = await db.selectFrom('revoked_access_tokens').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(String(after.n), String(before.n), 'nothing recorded');
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 200, 'the real token is untouched');
});

t.test('revoking the refresh token ends the grant: refresh is invalid_grant and the access token 401', async (t) => {
  const tokens = await connect(server, app, USERS.user2, SCOPE);
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 200);
  await client.tokenRevocation(app.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
  t.equal(await partnerError(client.refreshTokenGrant(app.config, tokens.refresh_token!, undefined, { DPoP: app.dpop })), 'invalid_grant');
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 401, 'the grant’s access token no longer works');
  const grants = await grantsOf(db, app.clientId);
  t.ok(grants.some((g) => g.revoked_by === 'client' && g.revoked_at), 'the bank grant ended, by the client');
});

t.test('the purge sweep forgets revoked access tokens a minute after they expired', async (t) => {
  await db.insertInto('revoked_access_tokens').values({ jti: 'long-expired', client_id: app.clientId, expires_at: new Date(Date.now() - 3_600_000) }).execute();
  const tokens = await connect(server, app, USERS.user1, SCOPE);
  await client.tokenRevocation(app.config, tokens.access_token);
  t.equal(await purgeExpiredRevocations(db, new Date()), 1, 'one row purged');
  t.notOk(await db.selectFrom('revoked_access_tokens').select('jti').where('jti', '=', 'long-expired').executeTakeFirst(), 'the expired one is gone');
  t.equal((await apiGet(server, app, tokens.access_token, '/api/v1/accounts/balances')).status, 401, 'the live revoked token stays refused');
});
