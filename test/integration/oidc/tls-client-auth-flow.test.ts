import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import t from 'tap';
import { runCli } from '../../../src/cli.ts';
import { certificateThumbprint } from '../../../src/certificates/from-request.ts';
import { DEMO_PARTNER } from '../../../src/db/seed/demo-data.ts';
import { TEST_SECRETS } from '../../helpers/build-app.ts';
import { USERS } from '../../helpers/fapi.ts';
import {
  bearerGet, clientCertificate, connectionFetch, connectPartner, makeCa, oauthErrorOf, partnerConfiguration, registerClient, startPartnerServer,
} from '../../helpers/partner-mtls.ts';

// RFC 8705 §2.1 as a new partner meets it (DESIGN §14): a sandbox certificate from the operator's CLI,
// registration with its subject DN, then PAR, token and the resource API over the mutual-TLS origin
// with openid-client — and the ways a certificate is refused.
t.setTimeout(240_000);
const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-tls-client-auth-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

// A partner with a CA of its own, trusted through PARTNER_CA_FILE.
const partnerCa = await makeCa('C=JP, O=Partner Trust Services, CN=Partner Issuing CA');
const partnerCaFile = path.join(dir, 'partner-cas.pem');
await writeFile(partnerCaFile, partnerCa.pem);
const server = await startPartnerServer(t, { env: { PARTNER_CA_FILE: partnerCaFile } });
const { db } = server.database;

/** The operator's command, as `npm run cli -- partners certificate …` runs it, on the server's database. */
async function operatorIssues(out: string) {
  const lines: string[] = [];
  await runCli(['partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', out], db, async () => TEST_SECRETS.keyEncryptionKey, (l) => lines.push(l));
  const dn = /tls_client_auth_subject_dn: (.+)$/m.exec(lines.join('\n'))?.[1];
  const password = lines.at(-1)!;
  return { lines, dn: dn!, password, pfx: await readFile(out) };
}

const sandbox = await operatorIssues(path.join(dir, 'kakeibo.pfx'));

t.test('discovery tells a tls_client_auth partner where to go', async (t) => {
  const meta = (await (await server.fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'));
  t.equal(meta.tls_client_certificate_bound_access_tokens, true);
  t.match(meta.mtls_endpoint_aliases, {
    token_endpoint: `${server.mtlsUrl}/oauth2/token`, pushed_authorization_request_endpoint: `${server.mtlsUrl}/oauth2/par`,
    revocation_endpoint: `${server.mtlsUrl}/oauth2/revoke`, introspection_endpoint: `${server.mtlsUrl}/oauth2/introspect`,
  });
});

t.test('a sandbox certificate from the CLI: register its DN, then PAR, token and the API with a certificate-bound token', async (t) => {
  t.equal(sandbox.dn, `CN=${DEMO_PARTNER.serviceName},O=${DEMO_PARTNER.legalName},C=JP`, 'the DN to register, RFC 4514 order');
  const reg = await registerClient(server, {
    token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: sandbox.dn, tls_client_certificate_bound_access_tokens: true,
  });
  t.equal(reg.status, 201, JSON.stringify(reg.body));
  t.equal(reg.body.token_endpoint_auth_method, 'tls_client_auth');
  t.equal(reg.body.tls_client_auth_subject_dn, sandbox.dn);
  t.equal(reg.body.dpop_bound_access_tokens, false, 'bound to the certificate, not DPoP');
  const clientId = reg.body.client_id as string;

  const fetch = connectionFetch(t, server, { cert: { pfx: sandbox.pfx, passphrase: sandbox.password } });
  const config = await partnerConfiguration(server, clientId, client.TlsClientAuth(), fetch);
  const tokens = await connectPartner(server, config, USERS.user1);
  const leaf = new X509Certificate(Buffer.from(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(await pfxLeafPem(sandbox.pfx, sandbox.password))![0]));
  const claims = decodeJwt(tokens.access_token);
  t.equal(claims.client_id, clientId);
  t.same(claims.cnf, { 'x5t#S256': certificateThumbprint(leaf) }, 'cnf.x5t#S256 is the thumbprint of the certificate presented (RFC 8705 §3.1)');
  t.equal(tokens.token_type.toLowerCase(), 'bearer');

  const balances = await bearerGet(fetch, `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token);
  t.equal(balances.status, 200, 'the resource API on the mutual-TLS origin accepts it with the certificate');
  t.ok(((await balances.json()) as { balances: unknown[] }).balances.length > 0);
  const viaLibrary = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${server.mtlsUrl}/api/v1/accounts`), 'GET');
  t.equal(viaLibrary.status, 200, 'and through openid-client’s fetchProtectedResource');

  // A refresh on the token alias, authenticated by the certificate again, stays bound to it.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  t.same(decodeJwt(refreshed.access_token).cnf, claims.cnf, 'refreshed token bound to the same certificate');
  const intro = await client.tokenIntrospection(config, refreshed.access_token);
  t.match(intro, { active: true, client_id: clientId, cnf: { 'x5t#S256': claims.cnf && (claims.cnf as Record<string, string>)['x5t#S256'] } }, 'introspection over mTLS shows the binding');

  // The token without its certificate, or with another one, is refused (RFC 8705 §3).
  const noCert = connectionFetch(t, server, {});
  t.equal((await bearerGet(noCert, `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'without the certificate');
  const other = await clientCertificate([{ C: ['JP'] }, { O: [DEMO_PARTNER.legalName] }, { CN: [DEMO_PARTNER.serviceName] }], { cert: server.bankCa.issuing, key: server.bankCa.signingKey, algorithm: server.bankCa.signingAlgorithm });
  const otherFetch = connectionFetch(t, server, { cert: other });
  const wrong = await bearerGet(otherFetch, `${server.mtlsUrl}/api/v1/accounts/balances`, tokens.access_token);
  t.equal(wrong.status, 401, 'with another certificate of the same DN and CA');
  t.match(wrong.headers.get('www-authenticate'), /invalid_token/);
  t.equal((await bearerGet(server.fetch as unknown as client.CustomFetch, `${server.issuer}/api/v1/accounts/balances`, tokens.access_token)).status, 401, 'as Bearer on the main origin');

  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'partner.certificate_issued').execute();
  t.equal(audit.length, 1, 'the issue is audited');
  t.notMatch(JSON.stringify(audit), sandbox.password, 'never its password');
});

t.test('a certificate from a partner CA in PARTNER_CA_FILE authenticates a client registered with its DN', async (t) => {
  const dn = 'CN=Budget Cloud,OU=API,O=Budget Cloud K.K.,C=JP';
  const cert = await clientCertificate([{ C: ['JP'] }, { O: ['Budget Cloud K.K.'] }, { OU: ['API'] }, { CN: ['Budget Cloud'] }], { cert: partnerCa.cert, key: partnerCa.key });
  const reg = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: dn, tls_client_certificate_bound_access_tokens: true });
  t.equal(reg.status, 201, JSON.stringify(reg.body));
  const fetch = connectionFetch(t, server, { cert });
  const config = await partnerConfiguration(server, reg.body.client_id as string, client.TlsClientAuth(), fetch);
  const tokens = await connectPartner(server, config, USERS.master);
  t.equal((await bearerGet(fetch, `${server.mtlsUrl}/api/v1/accounts`, tokens.access_token)).status, 200);
  // The DN as OpenSSL prints it (DER order) names the same certificate.
  const reg2 = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'C=JP, O=Budget Cloud K.K., OU=API, CN=Budget Cloud' });
  t.equal(reg2.status, 201);
  const config2 = await partnerConfiguration(server, reg2.body.client_id as string, client.TlsClientAuth(), fetch);
  t.ok(await client.buildAuthorizationUrlWithPAR(config2, { redirect_uri: 'https://partner.example/callback', scope: 'openid balances', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' }));
});

t.test('refusals: wrong subject DN, foreign CA, no certificate, the main origin, an expired certificate', async (t) => {
  const reg = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: sandbox.dn, tls_client_certificate_bound_access_tokens: true });
  const clientId = reg.body.client_id as string;
  const par = async (fetch: client.CustomFetch, opts: { aliases?: boolean } = {}) => {
    const config = opts.aliases === false
      ? await client.discovery(new URL(server.issuer), clientId, {}, client.TlsClientAuth(), { [client.customFetch]: fetch })
      : await partnerConfiguration(server, clientId, client.TlsClientAuth(), fetch);
    config[client.customFetch] = fetch;
    return oauthErrorOf(client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: 'https://partner.example/callback', scope: 'openid balances', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    }));
  };
  t.equal(await par(connectionFetch(t, server, { cert: { pfx: sandbox.pfx, passphrase: sandbox.password } })), undefined, 'the registered certificate is accepted');

  const bank = { cert: server.bankCa.issuing, key: server.bankCa.signingKey, algorithm: server.bankCa.signingAlgorithm };
  const wrongDn = await clientCertificate([{ C: ['JP'] }, { O: [DEMO_PARTNER.legalName] }, { CN: ['別のサービス'] }], bank);
  t.equal(await par(connectionFetch(t, server, { cert: wrongDn })), 'invalid_client', 'a bank-issued certificate with another subject DN');
  const foreign = await makeCa('C=JP, O=Renkei Bank, CN=Renkei Bank Client Issuing CA 1');
  const forged = await clientCertificate([{ C: ['JP'] }, { O: [DEMO_PARTNER.legalName] }, { CN: [DEMO_PARTNER.serviceName] }], { cert: foreign.cert, key: foreign.key });
  t.equal(await par(connectionFetch(t, server, { cert: forged })), 'invalid_client', 'the right DN from a foreign CA (even one named like the bank’s)');
  const selfSigned = await clientCertificate([{ C: ['JP'] }, { O: [DEMO_PARTNER.legalName] }, { CN: [DEMO_PARTNER.serviceName] }]);
  t.equal(await par(connectionFetch(t, server, { cert: selfSigned })), 'invalid_client', 'the right DN, self-signed');
  const expired = await clientCertificate([{ C: ['JP'] }, { O: [DEMO_PARTNER.legalName] }, { CN: [DEMO_PARTNER.serviceName] }], bank, { notAfter: new Date(Date.now() - 60_000) });
  t.equal(await par(connectionFetch(t, server, { cert: expired })), 'invalid_client', 'an expired certificate');
  t.equal(await par(connectionFetch(t, server, {})), 'invalid_client', 'no certificate');
  t.equal(await par(connectionFetch(t, server, { cert: { pfx: sandbox.pfx, passphrase: sandbox.password } }), { aliases: false }), 'invalid_client',
    'the main origin never sees a certificate');
});

/** The leaf certificate of a PKCS#12 file, read with Node's own OpenSSL (as a partner's stack would). */
async function pfxLeafPem(pfx: Buffer, passphrase: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const file = path.join(dir, `leaf-${Date.now()}.pfx`);
  await writeFile(file, pfx);
  const { stdout } = await promisify(execFile)('openssl', ['pkcs12', '-in', file, '-clcerts', '-nokeys', '-passin', `pass:${passphrase}`]);
  return stdout;
}
