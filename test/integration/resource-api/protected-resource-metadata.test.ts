import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';

// DESIGN §15 "Partner side": RFC 9728 protected-resource metadata of the resource API.
t.setTimeout(180_000);
const server = await startAuthServer(t);
const PATH = '/.well-known/oauth-protected-resource/api/v1';

t.test('the metadata is served at the well-known path derived from the resource identifier (RFC 9728 §3)', async (t) => {
  const identifier = new URL(server.config.apiIdentifier);
  t.equal(`${identifier.origin}/.well-known/oauth-protected-resource${identifier.pathname}`, `${server.issuer}${PATH}`, 'derived as §3.1 says');
  const res = await server.fetch(`${server.issuer}${PATH}`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/);
  const meta = (await res.json()) as Record<string, unknown>;
  t.equal(meta.resource, server.config.apiIdentifier, 'resource: the identifier used to fetch it (§3.3)');
  t.same(meta.authorization_servers, [server.issuer]);
  t.same(meta.scopes_supported, ['balances', 'transactions', 'transfers'], 'the API’s scopes');
  t.same(meta.bearer_methods_supported, ['header'], 'the Authorization header only');
  t.equal(meta.tls_client_certificate_bound_access_tokens, true, 'certificate-bound tokens (RFC 8705) on the mutual-TLS origin');
  t.equal(meta.dpop_bound_access_tokens_required, false, 'DPoP or a certificate binding, not DPoP always');
  t.same([...(meta.dpop_signing_alg_values_supported as string[])].sort(), ['ES256', 'EdDSA', 'PS256']);
  t.equal(meta.resource_documentation, `${server.issuer}/api/docs`);
  t.type(meta.resource_name, 'string');

  const as = (await (await server.fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.equal(as.issuer, (meta.authorization_servers as string[])[0], 'the authorization server it names is this issuer');
  for (const s of meta.scopes_supported as string[]) t.ok((as.scopes_supported as string[]).includes(s), `${s} is offered by the authorization server too`);
});

t.test('the mutual-TLS origin does not claim to be the resource identifier', async (t) => {
  const res = await server.fetch(`${server.mtlsUrl}${PATH}`);
  t.equal(res.status, 404);
});
