import { randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { clientAssertion, completeJourney, preRegisterPins, USERS } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// The token endpoint claims the client assertion's and the DPoP proof's jti in one statement, with
// its reads (src/oidc/token-read-ahead.ts): each stays single use, in PostgreSQL.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const { db } = server.database;
await preRegisterPins(db, USERS.user1.loginId, ['1000088', '1000658']);

const tc = await insertTestClient(db);
const { c, tokens } = await completeJourney(server, tc, USERS.user1);
const tokenUrl = `${server.issuer}/oauth2/token`;

const assertion = () => clientAssertion({ clientId: tc.clientId, aud: server.issuer, key: tc.privateKey, alg: 'ES256', kid: tc.kid });
async function proof(): Promise<string> {
  const jwk = await exportJWK(c.dpopKeys.publicKey);
  return new SignJWT({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(c.dpopKeys.privateKey);
}
async function refresh(clientAssertionJwt: string, dpop: string) {
  const res = await server.fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
    body: new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: tc.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertionJwt,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string; access_token?: string } };
}

t.test('a refresh with a fresh assertion and proof succeeds', async (t) => {
  const r = await refresh(await assertion(), await proof());
  t.equal(r.status, 200);
  t.ok(r.body.access_token);
});

t.test('a DPoP proof is single use, even with a fresh client assertion', async (t) => {
  const p = await proof();
  t.equal((await refresh(await assertion(), p)).status, 200, 'first use');
  const again = await refresh(await assertion(), p);
  t.equal(again.status, 400);
  t.equal(again.body.error, 'invalid_grant');
  // The response says only "grant request is invalid"; the reason is in the log.
  t.ok(server.logs().some((l) => l.includes('DPoP proof JWT Replay detected')), 'refused as a replay');
});

t.test('a client assertion is single use, even with a fresh DPoP proof', async (t) => {
  const a = await assertion();
  t.equal((await refresh(a, await proof())).status, 200, 'first use');
  const again = await refresh(a, await proof());
  t.equal(again.status, 401);
  t.equal(again.body.error, 'invalid_client');
});

t.test('the claims are rows in PostgreSQL, shared by every process', async (t) => {
  const before = await db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll<string>().as('n')).where('model', '=', 'ReplayDetection').executeTakeFirstOrThrow();
  t.equal((await refresh(await assertion(), await proof())).status, 200);
  const after = await db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll<string>().as('n')).where('model', '=', 'ReplayDetection').executeTakeFirstOrThrow();
  t.equal(Number(after.n) - Number(before.n), 2, 'the assertion and the proof');
});
