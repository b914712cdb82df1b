import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { registerClient, startPartnerServer } from '../../helpers/partner-mtls.ts';

// RFC 7591 registration of mutual-TLS clients (RFC 8705 §2.1.2, DESIGN §7 and §14): what the profile
// accepts and what it refuses, with the error a partner's engineer can act on.
t.setTimeout(180_000);
const server = await startPartnerServer(t);
const DN = 'CN=かんたん家計簿,O=株式会社 入出金情報提供,C=JP';

async function jwks() {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { keys: [{ ...(await exportJWK(publicKey)), kid: randomUUID(), alg: 'ES256', use: 'sig' }] };
}

t.test('tls_client_auth with tls_client_auth_subject_dn is registered, bound to the certificate or to DPoP', async (t) => {
  const bound = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, tls_client_certificate_bound_access_tokens: true });
  t.equal(bound.status, 201, JSON.stringify(bound.body));
  t.match(bound.body, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, tls_client_certificate_bound_access_tokens: true, dpop_bound_access_tokens: false });
  t.notOk('jwks' in bound.body, 'no keys needed: the certificate authenticates');

  const dpop = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, dpop_bound_access_tokens: true });
  t.equal(dpop.status, 201, 'tls_client_auth with DPoP-bound tokens');
  t.equal(dpop.body.dpop_bound_access_tokens, true);

  const escaped = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=App,O=Foo\\, Inc.,C=JP' });
  t.equal(escaped.status, 201, 'an escaped comma in a value');

  const stored = await server.database.db.selectFrom('oauth_clients').select('metadata').where('client_id', '=', bound.body.client_id as string).executeTakeFirstOrThrow();
  t.equal((stored.metadata as Record<string, unknown>).tls_client_auth_subject_dn, DN, 'stored as registered');
});

t.test('private_key_jwt with certificate-bound access tokens (RFC 8705 §3, whatever the client authentication)', async (t) => {
  const r = await registerClient(server, {
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: await jwks(), tls_client_certificate_bound_access_tokens: true,
  });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.match(r.body, { token_endpoint_auth_method: 'private_key_jwt', tls_client_certificate_bound_access_tokens: true, dpop_bound_access_tokens: false });
});

t.test('what the profile refuses', async (t) => {
  const refused = async (label: string, metadata: Record<string, unknown>, message: RegExp) => {
    const r = await registerClient(server, metadata);
    t.equal(r.status, 400, `${label}: 400`);
    t.equal(r.body.error, 'invalid_client_metadata', `${label}: invalid_client_metadata`);
    t.match(r.body.error_description, message, `${label}: ${r.body.error_description as string}`);
  };
  await refused('no subject DN', { token_endpoint_auth_method: 'tls_client_auth' }, /tls_client_auth_subject_dn/);
  await refused('a DN that is not RFC 4514', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'Kakeibo app' }, /RFC 4514/);
  await refused('an empty value', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=,O=x' }, /RFC 4514/);
  await refused('a DN that is not a string', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: ['CN=x'] }, /tls_client_auth_subject_dn/);
  await refused('a SAN instead of the DN', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'app.example' }, /tls_client_auth_san_dns is not supported/);
  await refused('a SAN beside the DN', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, tls_client_auth_san_email: 'a@b.example' }, /tls_client_auth_san_email is not supported/);
  await refused('self_signed_tls_client_auth', { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: await jwks() }, /token_endpoint_auth_method/);
  await refused('a client secret', { token_endpoint_auth_method: 'client_secret_basic' }, /token_endpoint_auth_method/);
  await refused('both DPoP and certificate binding', {
    token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, tls_client_certificate_bound_access_tokens: true, dpop_bound_access_tokens: true,
  }, /proof of possession/);
});

t.test('registration management keeps the same rules', async (t) => {
  const r = await registerClient(server, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: DN, tls_client_certificate_bound_access_tokens: true });
  const { registration_client_uri: uri, registration_access_token: rat, client_id, ...rest } = r.body as Record<string, string>;
  const put = async (changes: Record<string, unknown>, token: string) => {
    const { client_id_issued_at: _issued, ...metadata } = rest as Record<string, unknown>;
    const res = await server.fetch(uri!, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ ...metadata, client_id, ...changes }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const bad = await put({ tls_client_auth_subject_dn: 'nonsense' }, rat!);
  t.equal(bad.status, 400, 'a malformed DN on update');
  t.equal(bad.body.error, 'invalid_client_metadata');
  const good = await put({ tls_client_auth_subject_dn: 'CN=新しい名前,O=株式会社 入出金情報提供,C=JP' }, rat!);
  t.equal(good.status, 200, JSON.stringify(good.body));
  t.equal(good.body.tls_client_auth_subject_dn, 'CN=新しい名前,O=株式会社 入出金情報提供,C=JP');
});
