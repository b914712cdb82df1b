import * as oauth from 'oauth4webapi';
import { DEMO_ACCOUNT_PINS } from '../../src/db/seed/demo-data.ts';
import type { AuthServer } from './auth-server.ts';
import { JourneyDriver } from './journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization, type OAuthClient, type TestClient } from './oauth-client.ts';

/** Demo users and their accounts' PINs (DESIGN §9). */
export const DEMO_PINS: Record<string, string> = Object.fromEntries(DEMO_ACCOUNT_PINS.map((a) => [a.accountNumber, a.pin]));

/**
 * Walks the consent journey from an authorization URL as a demo user, registering the PIN of every
 * visible account, and returns the redirect to the client.
 */
export async function walkJourney(server: AuthServer, url: URL, loginId: string, password: string): Promise<URL> {
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  await b.post('login', { login_id: loginId, password });
  for (let guard = 0; guard < 10 && b.title.includes('照会用暗証番号登録') && !b.title.includes('結果'); guard++) {
    const accountId = b.values('account_id')[0];
    if (!accountId) break;
    const number = new RegExp(`value="${accountId}"[\\s\\S]*?(\\d{7})</label>`).exec(b.html)?.[1];
    await b.post('pin', { account_id: accountId, pin: DEMO_PINS[number ?? ''] ?? '0000' });
    if (b.html.includes('照会用暗証番号の追加登録')) await b.go('GET', `/interaction/${b.uid}`);
  }
  if (b.html.includes('/pin/confirm')) await b.post('pin/confirm', {});
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  if (!callback) throw new Error(`the journey did not reach the client: ${b.title}`);
  return callback;
}

export interface ApiSession {
  tc: TestClient;
  c: OAuthClient;
  tokens: oauth.TokenEndpointResponse;
  /** GET an API path with the DPoP-bound token and a fresh proof. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

/**
 * Runs the consent journey for a demo user over HTTP (registering every visible account's PIN) and
 * returns an authenticated API session, as a partner app would have after the code exchange.
 */
export async function apiSessionFor(server: AuthServer, loginId: string, password: string, opts: { scopes?: string[]; tc?: TestClient } = {}): Promise<ApiSession> {
  const scopes = opts.scopes ?? ['balances', 'transactions'];
  const tc = opts.tc ?? (await insertTestClient(server.database.db, { scopes: ['openid', 'offline_access', ...scopes], showBusinessSelection: false }));
  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, ['openid', 'offline_access', ...scopes].join(' '));
  const callback = await walkJourney(server, url, loginId, password);
  const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
  const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
    await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
  return {
    tc, c, tokens,
    get: (path, headers = {}) => oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(path, server.issuer), new Headers(headers), null, { DPoP: c.DPoP, ...c.customFetch }),
  };
}
