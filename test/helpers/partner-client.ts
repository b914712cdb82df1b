import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import type { AuthServer } from './auth-server.ts';
import { advanceToConsent, login } from './fapi.ts';
import { JourneyDriver } from './journey-driver.ts';

/**
 * A partner's application as the README's guide builds it, with openid-client: registered through
 * RFC 7591 with the partner's initial access token, private_key_jwt, DPoP-bound tokens.
 */
export interface PartnerApp {
  config: client.Configuration;
  clientId: string;
  redirectUri: string;
  dpop: client.DPoPHandle;
  /** The key pair behind `dpop`: access tokens are bound to its thumbprint. */
  dpopKeys: client.CryptoKeyPair;
  /** The registration response (RFC 7591 §3.2.1): registration_access_token and registration_client_uri. */
  registration: client.ClientMetadata;
}

const REDIRECT_URI = 'https://partner.example/callback';

export async function registerPartnerApp(server: AuthServer, opts: { initialAccessToken: string; scope: string; clientName?: string }): Promise<PartnerApp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const config = await client.dynamicClientRegistration(new URL(server.issuer), {
    client_name: opts.clientName ?? 'テスト家計簿', redirect_uris: [REDIRECT_URI], response_types: ['code'], grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    scope: opts.scope, dpop_bound_access_tokens: true,
  }, client.PrivateKeyJwt({ key: privateKey, kid }), { initialAccessToken: opts.initialAccessToken, [client.customFetch]: server.fetch as unknown as client.CustomFetch });
  const metadata = config.clientMetadata();
  const dpopKeys = await client.randomDPoPKeyPair('ES256');
  return {
    config, clientId: metadata.client_id, redirectUri: REDIRECT_URI, registration: metadata,
    dpop: client.getDPoPHandle(config, dpopKeys), dpopKeys,
  };
}

/** PAR, the consent journey as a demo user, and the code exchange: the tokens a partner app holds after consent. */
export async function connect(server: AuthServer, app: PartnerApp, user: { loginId: string; password: string }, scope: string) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = await client.buildAuthorizationUrlWithPAR(app.config, {
    redirect_uri: app.redirectUri, scope, code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  }, { DPoP: app.dpop });
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  await login(b, user);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  if (!callback) throw new Error(`the journey did not reach the client: ${b.title}`);
  return client.authorizationCodeGrant(app.config, callback, { pkceCodeVerifier: codeVerifier }, undefined, { DPoP: app.dpop });
}

/**
 * GET an API path with a DPoP-bound access token (a fresh proof each time). openid-client throws on a
 * challenge (401/403 with WWW-Authenticate); the response is returned all the same.
 */
export async function apiGet(server: AuthServer, app: PartnerApp, accessToken: string, path: string): Promise<Response> {
  try {
    return await client.fetchProtectedResource(app.config, accessToken, new URL(path, server.issuer), 'GET', undefined, undefined, { DPoP: app.dpop });
  } catch (err) {
    if (err instanceof client.WWWAuthenticateChallengeError) return err.response as Response;
    throw err;
  }
}

/** The OAuth error code of a refused openid-client call (undefined when it succeeded). */
export async function partnerError(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    const e = err as { error?: string; cause?: { error?: string } };
    if (typeof e.error === 'string') return e.error;
    if (typeof e.cause?.error === 'string') return e.cause.error;
    throw err;
  }
}
