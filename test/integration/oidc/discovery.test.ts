import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';

// Several engineers share 2 cores: a whole file may take longer than tap's default 30 s.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const res = await server.fetch(`${server.issuer}/.well-known/openid-configuration`);
const meta = (await res.json()) as Record<string, unknown>;
const sorted = (v: unknown) => [...(v as string[])].sort();

t.test('discovery is served on the issuer, with every endpoint under /oauth2/', async (t) => {
  t.equal(res.status, 200);
  t.equal(meta.issuer, server.issuer);
  for (const [key, path] of Object.entries({
    authorization_endpoint: 'authorize', pushed_authorization_request_endpoint: 'par', token_endpoint: 'token', jwks_uri: 'jwks',
    userinfo_endpoint: 'userinfo', introspection_endpoint: 'introspect', revocation_endpoint: 'revoke', registration_endpoint: 'register',
    end_session_endpoint: 'logout',
  })) t.equal(meta[key], `${server.issuer}/oauth2/${path}`, key);
});

t.test('discovery advertises exactly the FAPI 2.0 profile', async (t) => {
  t.equal(meta.require_pushed_authorization_requests, true, 'PAR required');
  t.same(meta.code_challenge_methods_supported, ['S256'], 'PKCE S256 only');
  t.same(meta.response_types_supported, ['code']);
  t.same(sorted(meta.grant_types_supported), ['authorization_code', 'refresh_token'], 'no implicit, no client credentials');
  t.same(sorted(meta.token_endpoint_auth_methods_supported), ['private_key_jwt', 'tls_client_auth'], 'the two client auth methods');
  t.same(sorted(meta.token_endpoint_auth_signing_alg_values_supported), ['ES256', 'EdDSA', 'PS256']);
  t.same(sorted(meta.id_token_signing_alg_values_supported), ['ES256', 'PS256']);
  t.same(sorted(meta.dpop_signing_alg_values_supported), ['ES256', 'EdDSA', 'PS256']);
  for (const [key, value] of Object.entries(meta)) {
    if (key.endsWith('_alg_values_supported')) {
      t.notOk((value as string[]).some((a) => /^(RS|HS)\d+$|^none$/.test(a)), `${key}: no RS*, HS* or none`);
    }
  }
  t.equal(meta.authorization_response_iss_parameter_supported, true, 'RFC 9207');
  t.equal(meta.tls_client_certificate_bound_access_tokens, true);
  t.notOk((meta.response_modes_supported as string[]).some((m) => m.includes('jwt')), 'no JARM modes advertised (not enabled)');
  t.same(sorted(meta.scopes_supported), ['balances', 'offline_access', 'openid', 'transactions', 'transfers'], 'every scope (DESIGN §7), the API’s included');
  t.same(meta.ui_locales_supported, ['ja', 'en']);
});

t.test('mtls_endpoint_aliases point to the mutual-TLS origin, where those endpoints answer', async (t) => {
  const aliases = meta.mtls_endpoint_aliases as Record<string, string>;
  t.same(Object.keys(aliases).sort(), ['introspection_endpoint', 'pushed_authorization_request_endpoint', 'revocation_endpoint', 'token_endpoint', 'userinfo_endpoint']);
  for (const [key, url] of Object.entries(aliases)) {
    t.equal(url, (meta[key] as string).replace(server.issuer, server.mtlsUrl), `${key} on ${server.mtlsUrl}`);
  }
  // No client authentication: an OAuth error from the provider, not a 404.
  const r = await server.fetch(aliases.token_endpoint!, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }) });
  t.equal(r.status, 400);
  t.match(await r.json(), { error: 'invalid_request' });
});

t.test('the JWKS publishes only public keys of the allowed algorithms', async (t) => {
  const jwks = (await (await server.fetch(meta.jwks_uri as string)).json()) as { keys: Record<string, unknown>[] };
  t.ok(jwks.keys.length > 0);
  for (const k of jwks.keys) {
    t.ok(['ES256', 'PS256', 'EdDSA'].includes(k.alg as string), `${k.kid}: ${k.alg}`);
    t.notOk('d' in k || 'p' in k || 'q' in k, `${k.kid}: no private part`);
  }
});

t.test('RFC 8414 metadata lists every scope as well', async (t) => {
  const r = await server.fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
  t.equal(r.status, 200);
  const oauthMeta = (await r.json()) as Record<string, unknown>;
  t.same(sorted(oauthMeta.scopes_supported), sorted(meta.scopes_supported));
});
