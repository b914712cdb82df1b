import { sql } from 'kysely';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import { walkJourney } from './api-session.ts';
import type { AuthServer } from './auth-server.ts';
import { insertTestClient, type TestClient } from './oauth-client.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** A fetch presenting a client certificate (and trusting the server's), for the mutual-TLS origin. */
export function certificateFetch(t: TestLike, server: AuthServer, certificate: { cert: string; key: string }): AuthServer['fetch'] {
  const agent = new Agent({ connect: { ca: server.ca, cert: certificate.cert, key: certificate.key } });
  t.teardown(() => agent.close());
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
}

export interface MtlsSession {
  tc: TestClient;
  tokens: oauth.TokenEndpointResponse;
  certificate: { cert: string; key: string };
  /** Presents `certificate`. */
  fetch: AuthServer['fetch'];
}

/**
 * A partner client whose access tokens are bound to its TLS client certificate (RFC 8705 §3):
 * private_key_jwt with `tls_client_certificate_bound_access_tokens`, PAR and the token request on the
 * mutual-TLS endpoint aliases presenting a self-signed certificate, no DPoP.
 */
export async function mtlsSessionFor(t: TestLike, server: AuthServer, loginId: string, password: string, opts: { scopes?: string[] } = {}): Promise<MtlsSession> {
  const { db } = server.database;
  const scopes = ['openid', 'offline_access', ...(opts.scopes ?? ['balances', 'transactions'])];
  const tc = await insertTestClient(db, { scopes, showBusinessSelection: false });
  await db.updateTable('oauth_clients')
    .set({ metadata: sql`metadata || ${JSON.stringify({ tls_client_certificate_bound_access_tokens: true })}::jsonb` })
    .where('client_id', '=', tc.clientId).execute();
  const certificate = await generateSelfSigned(['partner-client.example']);
  const fetch = certificateFetch(t, server, certificate);
  const customFetch = { [oauth.customFetch]: fetch as unknown as typeof globalThis.fetch };
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, customFetch));
  const client: oauth.Client = { client_id: tc.clientId, use_mtls_endpoint_aliases: true };
  const clientAuth = oauth.PrivateKeyJwt({ key: tc.privateKey, kid: tc.kid });
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const params = new URLSearchParams({
    redirect_uri: tc.redirectUri, scope: scopes.join(' '), response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const par = await oauth.processPushedAuthorizationResponse(as, client, await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, customFetch));
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', tc.clientId);
  url.searchParams.set('request_uri', par.request_uri);
  const callback = await walkJourney(server, url, loginId, password);
  const code = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, code, tc.redirectUri, codeVerifier, customFetch));
  return { tc, tokens, certificate, fetch };
}
