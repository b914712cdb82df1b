import { X509Certificate } from 'node:crypto';
import type { JsonName } from '@peculiar/x509';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import t from 'tap';
import { issuePartnerCertificate } from '../../../src/certificates/partner-certificate.ts';
import { certificateThumbprint } from '../../../src/certificates/from-request.ts';
import { USERS } from '../../helpers/fapi.ts';
import {
  bearerGet, clientCertField, clientCertificate, connectionFetch, connectPartner, makeCa, oauthErrorOf, partnerConfiguration, registerClient, startPartnerServer,
} from '../../helpers/partner-mtls.ts';

// Behind a TLS-terminating proxy (DESIGN §3, RFC 9440): the partner's certificate arrives in the
// Client-Cert field, honoured only from the proxy's address. 127.0.0.2 stands for the proxy; clients
// connecting from 127.0.0.1 are anybody else. Client authentication (tls_client_auth), token binding and
// the resource API's check all read the certificate the same way.
t.setTimeout(240_000);
const PROXY = '127.0.0.2';
const server = await startPartnerServer(t, { env: { TRUST_PROXY: 'true', TRUSTED_PROXIES: PROXY, CLIENT_CERT_HEADER: 'Client-Cert' } });

const sandbox = await issuePartnerCertificate(server.bankCa, { serviceName: 'かんたん家計簿', legalName: '株式会社 入出金情報提供' });
const der = Buffer.from(sandbox.certificate.rawData);
const reg = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: sandbox.subjectDn, tls_client_certificate_bound_access_tokens: true });
const clientId = reg.body.client_id as string;
/** What the proxy forwards for the partner's connection: no TLS certificate of its own, the partner's in Client-Cert. */
const viaProxy = (cert: Buffer | string = der) => connectionFetch(t, server, {
  localAddress: PROXY, headers: { 'client-cert': typeof cert === 'string' ? cert : clientCertField(cert) },
});
const parError = async (fetch: client.CustomFetch) => {
  const config = await partnerConfiguration(server, clientId, client.TlsClientAuth(), fetch);
  return oauthErrorOf(client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: 'https://partner.example/callback', scope: 'openid balances', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  }));
};

t.test('through the proxy: tls_client_auth, a token bound to the forwarded certificate, and the API', async (t) => {
  t.equal(reg.status, 201, JSON.stringify(reg.body));
  const proxy = viaProxy();
  const config = await partnerConfiguration(server, clientId, client.TlsClientAuth(), proxy);
  const tokens = await connectPartner(server, config, USERS.user1);
  t.same(decodeJwt(tokens.access_token).cnf, { 'x5t#S256': certificateThumbprint(new X509Certificate(der)) }, 'bound to the certificate in Client-Cert');
  t.equal((await bearerGet(proxy, `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 200, 'the API through the proxy');

  const other = await clientCertificate([{ CN: ['someone'] }]);
  t.equal((await bearerGet(viaProxy(other.der), `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'the proxy forwarding another certificate');
  t.equal((await bearerGet(connectionFetch(t, server, { localAddress: PROXY }), `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'the proxy forwarding none');
  t.equal((await bearerGet(viaProxy(`${clientCertField(der)}, ${clientCertField(der)}`), `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'a repeated field');
  t.equal((await bearerGet(viaProxy(der.toString('base64')), `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'not a byte sequence');

  // The same header from an address that is not the proxy: ignored, at the API and at the provider.
  const forger = connectionFetch(t, server, { localAddress: '127.0.0.1', headers: { 'client-cert': clientCertField(der) } });
  const forged = await bearerGet(forger, `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token);
  t.equal(forged.status, 401, 'a Client-Cert header from a non-proxy address is ignored by the API');
  t.match(forged.headers.get('www-authenticate'), /invalid_token/);
  t.equal(await parError(forger), 'invalid_client', '… and by client authentication');
  // With TRUST_PROXY the proxy terminates TLS: a certificate presented directly does not count either.
  t.equal(await parError(connectionFetch(t, server, { cert: await clientCertificate([{ CN: ['x'] }]) })), 'invalid_client', 'a direct TLS certificate is not read behind a proxy');
});

t.test('through the proxy, a forwarded certificate must still chain to a trusted CA', async (t) => {
  t.equal(await parError(viaProxy()), undefined, 'the bank-issued certificate');
  const subject: JsonName = [{ C: ['JP'] }, { O: ['株式会社 入出金情報提供'] }, { CN: ['かんたん家計簿'] }];
  const selfSigned = await clientCertificate(subject);
  t.equal(await parError(viaProxy(selfSigned.der)), 'invalid_client', 'the right DN, self-signed');
  const foreign = await makeCa('C=JP, O=Renkei Bank, CN=Renkei Bank Client Issuing CA 1');
  const impostor = await clientCertificate(subject, { cert: foreign.cert, key: foreign.key });
  t.equal(await parError(viaProxy(impostor.der)), 'invalid_client', 'the right DN from a CA named like the bank’s');
  const bank = { cert: server.bankCa.issuing, key: server.bankCa.signingKey, algorithm: server.bankCa.signingAlgorithm };
  const expired = await clientCertificate(subject, bank, { notAfter: new Date(Date.now() - 60_000) });
  t.equal(await parError(viaProxy(expired.der)), 'invalid_client', 'expired');
  const serverOnly = await clientCertificate(subject, bank, { eku: ['1.3.6.1.5.5.7.3.1'] });
  t.equal(await parError(viaProxy(serverOnly.der)), 'invalid_client', 'not for client authentication (EKU serverAuth only)');
  t.equal(await parError(viaProxy(':not base64!:')), 'invalid_client', 'a malformed field');
});
