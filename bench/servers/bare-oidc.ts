import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { errors, Provider, type Configuration } from 'oidc-provider';
// The provider's own in-memory adapter and its store. By default that store is an LRU capped at 1,000
// entries, which would evict the tens of thousands of codes a sample redeems; this one is the same
// class with a larger cap (createMemoryAdapter's code, bigger maxSize).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { serveIpc } from '../lib/ipc-server.ts';
import { mintCodes, type MintSpec } from '../lib/mint-codes.ts';

/**
 * Baseline of `bench token`: a bare oidc-provider 9 (`new Provider(issuer, config)` on node:https)
 * with renkei's protocol profile as src/oidc/provider.ts configures it — FAPI 2.0, PAR required, PKCE,
 * private_key_jwt (ES256 client key), DPoP, JWT access tokens signed ES256 for the same resource
 * indicator, ID tokens ES256, refresh tokens for offline_access and not rotated, the same TTLs and
 * token claims — but the in-memory adapter and one static client. Control channel: `mint`.
 */
const issuer = process.env.PUBLIC_URL!;
const audience = `${issuer}/api/v1`;
const client = JSON.parse(process.env.BENCH_CLIENT!) as { clientId: string; redirectUri: string; jwk: JWK };
const BUSINESS_SCOPES = ['balances', 'transactions', 'transfers'];
const BUSINESS_SCOPES_METADATA = 'renkei_business_scopes';

async function signingKey(alg: 'ES256' | 'PS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 2048 } : {}) });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig' };
}

const store = new LRU({ maxSize: 10_000_000 });
const configuration: Configuration = {
  adapter: (model: string) => new MemoryAdapter(model, store, 15),
  clients: [{
    client_id: client.clientId,
    client_name: 'bench client',
    redirect_uris: [client.redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [client.jwk] },
    // As renkei's client adapter presents a client: OIDC scopes, the bank's 利用業務, DPoP, PAR.
    scope: 'openid offline_access',
    [BUSINESS_SCOPES_METADATA]: 'balances',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
  } as never],
  jwks: { keys: [await signingKey('ES256'), await signingKey('PS256')] as never },
  cookies: { keys: [randomBytes(32).toString('base64url')], long: { httpOnly: true, sameSite: 'lax', secure: true }, short: { httpOnly: true, sameSite: 'lax', secure: true } },
  routes: {
    authorization: '/oauth2/authorize', pushed_authorization_request: '/oauth2/par', token: '/oauth2/token', jwks: '/oauth2/jwks',
    userinfo: '/oauth2/userinfo', introspection: '/oauth2/introspect', revocation: '/oauth2/revoke', end_session: '/oauth2/logout',
  },
  clockTolerance: 15,
  scopes: ['openid', 'offline_access'],
  claims: { openid: ['sub'] },
  responseTypes: ['code'],
  clientAuthMethods: ['private_key_jwt'],
  enabledJWA: {
    clientAuthSigningAlgValues: ['PS256', 'ES256', 'EdDSA'],
    idTokenSigningAlgValues: ['ES256', 'PS256'],
    requestObjectSigningAlgValues: ['PS256', 'ES256', 'EdDSA'],
    authorizationSigningAlgValues: ['ES256', 'PS256'],
    userinfoSigningAlgValues: ['ES256', 'PS256'],
    introspectionSigningAlgValues: ['ES256', 'PS256'],
    dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
  },
  clientDefaults: { id_token_signed_response_alg: 'ES256', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
  extraClientMetadata: { properties: [BUSINESS_SCOPES_METADATA] },
  pkce: { required: () => true },
  allowOmittingSingleRegisteredRedirectUri: false,
  acceptQueryParamAccessTokens: false,
  features: {
    devInteractions: { enabled: false },
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: { enabled: true, nonceSecret: Buffer.from(hkdfSync('sha256', randomBytes(32), Buffer.alloc(0), 'dpop nonce', 32)), requireNonce: () => false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator, c) => {
        if (resourceIndicator !== audience) throw new errors.InvalidTarget(`the only resource is ${audience}`);
        const allowed = String((c as unknown as Record<string, unknown>)[BUSINESS_SCOPES_METADATA] ?? '').split(' ');
        return { scope: BUSINESS_SCOPES.filter((s) => allowed.includes(s)).join(' '), audience, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
      },
    },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    clientCredentials: { enabled: false },
    deviceFlow: { enabled: false },
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, PushedAuthorizationRequest: 60, Grant: 90 * 86_400,
    RefreshToken: (ctx) => {
      const grant = ctx.oidc.entities.Grant as { exp?: number } | undefined;
      const now = Math.floor(Date.now() / 1000);
      return grant?.exp && grant.exp > now ? grant.exp - now : 1;
    },
  },
  rotateRefreshToken: false,
  issueRefreshToken: (ctx, c, code) => c.grantTypeAllowed('refresh_token')
    && (code.scopes.has('offline_access') || (ctx.oidc.entities.Grant as { getOIDCScope(): string } | undefined)?.getOIDCScope().split(' ').includes('offline_access') === true),
  extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' && token.grantId ? { grant_id: token.grantId } : undefined),
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
};
const provider = new Provider(issuer, configuration);
const server = https.createServer({ key: readFileSync(process.env.TLS_KEY_FILE!), cert: readFileSync(process.env.TLS_CERT_FILE!), minVersion: 'TLSv1.2' }, provider.callback());
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT), '127.0.0.1', resolve));

serveIpc({
  stats: () => ({ queries: 0 }),
  async mint(args) {
    const t0 = performance.now();
    const { codes } = await mintCodes(provider, args.spec as MintSpec, Number(args.count));
    return { codes, ms: performance.now() - t0, queries: 0 };
  },
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.send!({ type: 'ready' });
