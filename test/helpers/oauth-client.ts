import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { Kysely } from 'kysely';
import * as oauth from 'oauth4webapi';
import type { Database } from '../../src/db/database.ts';
import { DEMO_PARTNER } from '../../src/db/seed/demo-data.ts';
import type { AuthServer } from './auth-server.ts';

export interface TestClient {
  clientId: string;
  redirectUri: string;
  privateKey: CryptoKey;
  kid: string;
}

/**
 * Registers a FAPI client for the demo partner directly in `oauth_clients` (as the bank's onboarding
 * does): private_key_jwt with an ES256 key, DPoP-bound tokens, the scopes and settings given.
 */
export async function insertTestClient(
  db: Kysely<Database>,
  opts: { scopes?: string[]; showBusinessSelection?: boolean; consentPeriodDays?: number; alg?: 'ES256' | 'PS256' | 'EdDSA' } = {},
): Promise<TestClient> {
  const alg = opts.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const clientId = `test-client-${randomUUID()}`;
  const redirectUri = 'https://client.example/cb';
  const partner = await db.selectFrom('partners').select('id').where('legal_name', '=', DEMO_PARTNER.legalName).executeTakeFirstOrThrow();
  const scopes = opts.scopes ?? ['openid', 'offline_access', 'balances', 'transactions'];
  await db.insertInto('oauth_clients').values({
    client_id: clientId,
    partner_id: partner.id,
    metadata: JSON.stringify({
      client_id: clientId, client_name: 'テストクライアント', redirect_uris: [redirectUri], response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: alg, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] },
      scope: scopes.join(' '),
    }),
    allowed_scopes: scopes,
    show_business_selection: opts.showBusinessSelection ?? true,
    consent_period_days: opts.consentPeriodDays ?? 90,
  }).execute();
  return { clientId, redirectUri, privateKey, kid };
}

/** An oauth4webapi client of the server, talking to it through its trusting fetch. */
export async function oauthClientFor(server: AuthServer, c: TestClient) {
  const customFetch = { [oauth.customFetch]: server.fetch as unknown as typeof fetch };
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, customFetch));
  const client: oauth.Client = { client_id: c.clientId };
  const clientAuth = oauth.PrivateKeyJwt({ key: c.privateKey, kid: c.kid });
  const dpopKeys = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, dpopKeys);
  return { as, client, clientAuth, DPoP, dpopKeys, customFetch };
}

export type OAuthClient = Awaited<ReturnType<typeof oauthClientFor>>;

/** PAR with PKCE S256 (FAPI 2.0): returns the authorization URL and the verifier. */
export async function pushAuthorization(c: OAuthClient, t: TestClient, scope: string, extra: Record<string, string> = {}) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const params = new URLSearchParams({
    redirect_uri: t.redirectUri, scope, response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', ...extra,
  });
  const response = await oauth.pushedAuthorizationRequest(c.as, c.client, c.clientAuth, params, { DPoP: c.DPoP, ...c.customFetch });
  const par = await oauth.processPushedAuthorizationResponse(c.as, c.client, response);
  const url = new URL(c.as.authorization_endpoint!);
  url.searchParams.set('client_id', t.clientId);
  url.searchParams.set('request_uri', par.request_uri);
  return { url, codeVerifier };
}
