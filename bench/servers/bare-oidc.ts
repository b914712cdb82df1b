import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Provider, type Configuration } from 'oidc-provider';
// The provider's own in-memory adapter and its store. By default that store is an LRU capped at 1,000
// entries, which would evict the tens of thousands of codes a sample redeems; this one is the same
// class with a larger cap (createMemoryAdapter's code, bigger maxSize).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { fapiProfile, OIDC_ROUTES } from '../../src/oidc/fapi-profile.ts';
import { BUSINESS_SCOPES_METADATA } from '../../src/partners/clients.repository.ts';
import { SCOPE } from '../../src/shared/scopes.ts';
import { serveIpc } from '../lib/ipc-server.ts';
import { mintCodes, type MintSpec } from '../lib/mint-codes.ts';

/**
 * Baseline of `bench token`: a bare oidc-provider 9 (`new Provider(issuer, config)` on node:https)
 * with renkei's protocol profile, imported from the module src/oidc/provider.ts builds on
 * (src/oidc/fapi-profile.ts: FAPI 2.0, PAR required, PKCE, private_key_jwt, DPoP, JWT access tokens
 * signed ES256 for the same resource indicator, ID tokens ES256, refresh tokens for offline_access and
 * not rotated, the same TTLs and token claims), but the in-memory adapter and one static client.
 * Control channel: `mint`.
 */
const issuer = process.env.PUBLIC_URL!;
const audience = `${issuer}/api/v1`;
const client = JSON.parse(process.env.BENCH_CLIENT!) as { clientId: string; redirectUri: string; jwk: JWK };

async function signingKey(alg: 'ES256' | 'PS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 2048 } : {}) });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg, use: 'sig' };
}

const profile = fapiProfile({ audience, dpopNonceSecret: randomBytes(32) });
const store = new LRU({ maxSize: 10_000_000 });
const configuration: Configuration = {
  ...profile,
  adapter: (model: string) => new MemoryAdapter(model, store, profile.clockTolerance),
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
    [BUSINESS_SCOPES_METADATA]: SCOPE.balances,
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
  } as never],
  jwks: { keys: [await signingKey('ES256'), await signingKey('PS256')] as never },
  cookies: { keys: [randomBytes(32).toString('base64url')], long: { httpOnly: true, sameSite: 'lax', secure: true }, short: { httpOnly: true, sameSite: 'lax', secure: true } },
  routes: OIDC_ROUTES,
  extraClientMetadata: { properties: [BUSINESS_SCOPES_METADATA] },
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
