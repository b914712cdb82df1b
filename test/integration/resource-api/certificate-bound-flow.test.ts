import { X509Certificate } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import t from 'tap';
import { certificateThumbprint } from '../../../src/certificates/from-request.ts';
import { advanceToConsent, login, USERS } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';
import {
  bearerGet, clientCertificate, connectionFetch, connectPartner, oauthErrorOf, partnerConfiguration, REDIRECT_URI, registerClient, startPartnerServer,
} from '../../helpers/partner-mtls.ts';

// Certificate-bound access tokens for a private_key_jwt client (RFC 8705 §3, DESIGN §14: "whatever the
// client authentication method"), end to end with openid-client: the binding comes from the certificate
// presented at the token alias, and the resource API on the mutual-TLS origin asks for that certificate.
t.setTimeout(240_000);
const server = await startPartnerServer(t);

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const kid = randomUUID();
const reg = await registerClient(server, {
  token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
  jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }, tls_client_certificate_bound_access_tokens: true,
});
const clientId = reg.body.client_id as string;
const auth = client.PrivateKeyJwt(privateKey, { [client.modifyAssertion]: (h) => { h.kid = kid; } });
// Any certificate binds (self-signed here): the client is authenticated by its key, not by the certificate.
const own = await clientCertificate([{ CN: ['kakeibo-api-client'] }]);
const ownFetch = connectionFetch(t, server, { cert: own });
const config = await partnerConfiguration(server, clientId, auth, ownFetch);
const x5t = certificateThumbprint(new X509Certificate(own.cert));
const balancesOnMtls = `${server.mtlsUrl}/api/v1/accounts/balances`;

t.test('PAR, the journey and the code exchange on the aliases give a token bound to the certificate; the API wants it', async (t) => {
  t.equal(reg.status, 201, JSON.stringify(reg.body));
  const tokens = await connectPartner(server, config, USERS.user1);
  t.same(decodeJwt(tokens.access_token).cnf, { 'x5t#S256': x5t }, 'cnf.x5t#S256 of the presented certificate');
  t.equal(tokens.token_type.toLowerCase(), 'bearer', 'a Bearer token: no DPoP');

  const ok = await bearerGet(ownFetch, balancesOnMtls, tokens.access_token);
  t.equal(ok.status, 200, 'with its certificate on the mutual-TLS origin');
  t.equal(ok.headers.get('cache-control'), 'no-store');
  t.equal((await client.fetchProtectedResource(config, tokens.access_token, new URL(`${server.mtlsUrl}/api/v1/accounts`), 'GET')).status, 200, 'through openid-client');

  const refused = async (label: string, res: Response) => {
    t.equal(res.status, 401, label);
    t.match(res.headers.get('www-authenticate'), /invalid_token/, `${label}: invalid_token`);
  };
  await refused('without a certificate', await bearerGet(connectionFetch(t, server, {}), balancesOnMtls, tokens.access_token));
  const other = await clientCertificate([{ CN: ['kakeibo-api-client'] }]);
  await refused('with another certificate of the same name', await bearerGet(connectionFetch(t, server, { cert: other }), balancesOnMtls, tokens.access_token));
  await refused('as Bearer on the main origin', await bearerGet(server.fetch as unknown as client.CustomFetch, `${server.issuer}/api/v1/accounts/balances`, tokens.access_token));
  const asDpop = await ownFetch(balancesOnMtls, { method: 'GET', headers: { authorization: `DPoP ${tokens.access_token}` } } as unknown as client.CustomFetchOptions);
  await refused('presented with the DPoP scheme', asDpop);
  const gmo = (fetch: client.CustomFetch) => fetch(`${server.mtlsUrl}/ganb/api/corporation/v1/accounts/balances`, { method: 'GET', headers: { 'x-access-token': tokens.access_token } } as unknown as client.CustomFetchOptions);
  t.equal((await gmo(ownFetch)).status, 200, 'GMO’s x-access-token with the certificate');
  t.equal((await gmo(connectionFetch(t, server, {}))).status, 401, 'GMO’s x-access-token without it');
});

t.test('the token endpoint needs a certificate to bind to; a refresh binds to the certificate it is made with', async (t) => {
  const tokens = await connectPartner(server, config, USERS.user1);
  const noCertConfig = await partnerConfiguration(server, clientId, auth, connectionFetch(t, server, {}));
  t.ok(await oauthErrorOf(client.refreshTokenGrant(noCertConfig, tokens.refresh_token!)), 'a refresh without a certificate is refused');

  const same = await client.refreshTokenGrant(config, tokens.refresh_token!);
  t.same(decodeJwt(same.access_token).cnf, { 'x5t#S256': x5t }, 'same certificate, same binding');
  // RFC 8705 §3 / §4: a confidential client's refresh token is bound by client authentication, so a
  // client rotating its TLS certificate gets tokens bound to the new one (its old token stays on the old one).
  const rotated = await clientCertificate([{ CN: ['kakeibo-api-client-2027'] }]);
  const rotatedFetch = connectionFetch(t, server, { cert: rotated });
  const rotatedConfig = await partnerConfiguration(server, clientId, auth, rotatedFetch);
  const next = await client.refreshTokenGrant(rotatedConfig, tokens.refresh_token!);
  t.same(decodeJwt(next.access_token).cnf, { 'x5t#S256': certificateThumbprint(new X509Certificate(rotated.cert)) }, 'bound to the new certificate');
  t.equal((await bearerGet(rotatedFetch, balancesOnMtls, next.access_token)).status, 200);
  t.equal((await bearerGet(ownFetch, balancesOnMtls, next.access_token)).status, 401, 'not to the old one');
  t.equal((await bearerGet(ownFetch, balancesOnMtls, same.access_token)).status, 200, 'the earlier token keeps its own binding');
});

t.test('the authorization code is exchanged only over mutual TLS with a certificate', async (t) => {
  // PAR (no certificate needed: private_key_jwt authenticates) and the journey, then the code sent to
  // the token alias without a certificate.
  const noCertConfig = await partnerConfiguration(server, clientId, auth, connectionFetch(t, server, {}));
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = await client.buildAuthorizationUrlWithPAR(noCertConfig, {
    redirect_uri: REDIRECT_URI, scope: 'openid balances', code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  await login(b, USERS.user1);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.ok(callback, 'the journey reached the client');
  t.equal(await oauthErrorOf(client.authorizationCodeGrant(noCertConfig, callback!, { pkceCodeVerifier: codeVerifier })), 'invalid_grant',
    'no certificate to bind the token to: invalid_grant');
});
