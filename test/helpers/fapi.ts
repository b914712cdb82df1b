import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey } from 'jose';
import type { Kysely } from 'kysely';
import * as oauth from 'oauth4webapi';
import type { Database } from '../../src/db/database.ts';
import { DEMO_ACCOUNTS } from '../../src/db/seed/demo-data.ts';
import type { AuthServer } from './auth-server.ts';
import { JourneyDriver } from './journey-driver.ts';
import { oauthClientFor, pushAuthorization, type OAuthClient, type TestClient } from './oauth-client.ts';

/** DESIGN §9 demo logins used by the journey tests. */
export const USERS = {
  master: { loginId: '1000000001', password: 'Aozora2024' },
  user1: { loginId: '1000000002', password: 'User1pass2024' },
  user2: { loginId: '1000000003', password: 'User2pass2024' },
  user3: { loginId: '1000000004', password: 'User3pass2024' },
  hanako: { loginId: '2000000001', password: 'Hanako2024' },
} as const;

type DemoUser = (typeof USERS)[keyof typeof USERS];

export const TITLES = {
  login: 'API連携認証（利用登録）',
  business: 'API連携認証（認可業務選択）',
  pin: 'API連携認証（照会用暗証番号登録）',
  pinResult: 'API連携認証（照会用暗証番号登録結果）',
  consent: 'API連携認証（情報アクセス許可）',
  expired: 'API連携認証',
} as const;

export const FULL_SCOPE = 'openid offline_access balances transactions';

/** The PIN filed for an account number (DESIGN §9). */
export function pinOf(accountNumber: string): string {
  const a = DEMO_ACCOUNTS.find((x) => x.accountNumber === accountNumber);
  if (!a) throw new Error(`no demo account ${accountNumber}`);
  return a.pin;
}

export async function accountByNumber(db: Kysely<Database>, accountNumber: string) {
  return db.selectFrom('accounts').selectAll().where('account_number', '=', accountNumber).executeTakeFirstOrThrow();
}

export async function userByLoginId(db: Kysely<Database>, loginId: string) {
  return db.selectFrom('users').selectAll().where('login_id', '=', loginId).executeTakeFirstOrThrow();
}

/** Registers PINs directly (as an earlier journey would have), so a test can start past step 3. */
export async function preRegisterPins(db: Kysely<Database>, loginId: string, accountNumbers: string[]): Promise<void> {
  const user = await userByLoginId(db, loginId);
  for (const n of accountNumbers) {
    const account = await accountByNumber(db, n);
    await db.insertInto('pin_registrations').values({ user_id: user.id, account_id: account.id, customer_id: user.customer_id })
      .onConflict((oc) => oc.columns(['user_id', 'account_id']).doNothing()).execute();
  }
}

/** Operator unlock of an account's PIN (tests restore state between cases with it). */
export async function unlockPin(db: Kysely<Database>, accountNumber: string): Promise<void> {
  await db.updateTable('accounts').set({ pin_failed_count: 0, pin_locked_at: null }).where('account_number', '=', accountNumber).execute();
}

/** A PAR-started journey: the browser stands on the first page (login). */
export async function startJourney(server: AuthServer, tc: TestClient, opts: { scope?: string; extra?: Record<string, string> } = {}) {
  const c = await oauthClientFor(server, tc);
  const { url, codeVerifier } = await pushAuthorization(c, tc, opts.scope ?? FULL_SCOPE, opts.extra);
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  return { b, c, codeVerifier };
}

export async function login(b: JourneyDriver, user: { loginId: string; password: string }) {
  return b.post('login', { login_id: user.loginId, password: user.password });
}

/**
 * Walks whatever steps the server shows after login (all offered 利用業務, each unregistered account's
 * PIN, 確定) up to the permission screen.
 */
export async function advanceToConsent(b: JourneyDriver, opts: { business?: string[] } = {}): Promise<void> {
  for (let i = 0; i < 12 && b.title !== TITLES.consent; i++) {
    if (b.title === TITLES.business) {
      await b.post('business', { scope: opts.business ?? b.values('scope') });
    } else if (b.title === TITLES.pin) {
      const accountId = b.values('account_id')[0];
      if (!accountId) {
        await b.post('pin/confirm', {});
        continue;
      }
      await b.post('pin', { account_id: accountId, pin: pinOf(accountNumberOfRadio(b, accountId)) });
    } else if (b.title === TITLES.pinResult) {
      await b.post('pin/confirm', {});
    } else {
      throw new Error(`unexpected page ${b.title}: ${b.html.slice(0, 300)}`);
    }
  }
  if (b.title !== TITLES.consent) throw new Error(`did not reach the permission screen: ${b.title}`);
}

/** The account number printed in the label of a PIN radio button. */
function accountNumberOfRadio(b: JourneyDriver, accountId: string): string {
  const idx = new RegExp(`id="(acc-\\d+)" value="${accountId}"`).exec(b.html)?.[1];
  const label = new RegExp(`<label for="${idx}">([^<]*)</label>`).exec(b.html)?.[1] ?? '';
  const number = /([0-9]{7})\s*$/.exec(label.trim())?.[1];
  if (!number) throw new Error(`no account number for ${accountId} in ${label}`);
  return number;
}

/** Exchanges the code of a callback (DPoP-bound, private_key_jwt). */
export async function exchangeCode(c: OAuthClient, tc: TestClient, callback: URL, codeVerifier: string) {
  const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
  const response = await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch });
  return oauth.processAuthorizationCodeResponse(c.as, c.client, response, { requireIdToken: true });
}

/** The whole journey for a user up to the callback with the code (not yet exchanged). */
export async function authorize(server: AuthServer, tc: TestClient, user: { loginId: string; password: string }, opts: { scope?: string; business?: string[] } = {}) {
  const j = await startJourney(server, tc, opts);
  await login(j.b, user);
  await advanceToConsent(j.b, opts);
  const callback = await j.b.post('consent', { decision: 'allow', continue: 'on' });
  if (!callback) throw new Error(`no callback: ${j.b.title}`);
  return { ...j, callback };
}

/** The whole journey for a user, ending with tokens. */
export async function completeJourney(server: AuthServer, tc: TestClient, user: { loginId: string; password: string }, opts: { scope?: string; business?: string[] } = {}) {
  const j = await authorize(server, tc, user, opts);
  const tokens = await exchangeCode(j.c, tc, j.callback, j.codeVerifier);
  return { ...j, tokens };
}

/** Refreshes with this client's DPoP key (or another handle); returns the raw response for negative checks. */
async function refresh(c: OAuthClient, refreshToken: string, dpop: oauth.DPoPHandle = c.DPoP) {
  return oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, refreshToken, { DPoP: dpop, ...c.customFetch });
}

/** Refreshes and returns the OAuth error code, or undefined when new tokens came back. */
export async function refreshError(c: OAuthClient, refreshToken: string, dpop: oauth.DPoPHandle = c.DPoP): Promise<string | undefined> {
  return oauthError(refresh(c, refreshToken, dpop).then((r) => oauth.processRefreshTokenResponse(c.as, c.client, r)));
}

/** The OAuth error code of a refused response processed by oauth4webapi (undefined when it succeeded). */
export async function oauthError(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) return err.error;
    if (err instanceof oauth.WWWAuthenticateChallengeError) return err.cause[0]?.parameters.error;
    throw err;
  }
}

/** A client assertion signed as the caller wants (to build wrong ones). */
export async function clientAssertion(opts: {
  clientId: string; aud: string; key: CryptoKey | Uint8Array; alg: string; kid?: string;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: opts.alg, ...(opts.kid ? { kid: opts.kid } : {}) })
    .setIssuer(opts.clientId).setSubject(opts.clientId).setAudience(opts.aud)
    .setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 60)
    .sign(opts.key);
}

/** oauth4webapi client authentication with a hand-made assertion. */
export function assertionAuth(make: () => Promise<string>): oauth.ClientAuth {
  return async (_as, _client, body) => {
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', await make());
  };
}

export async function auditRows(db: Kysely<Database>, type: string, opts: { loginId?: string; since?: Date } = {}) {
  let q = db.selectFrom('audit_events').selectAll().where('type', '=', type);
  if (opts.loginId) q = q.where('actor_login_id', '=', opts.loginId);
  if (opts.since) q = q.where('occurred_at', '>=', opts.since);
  return q.orderBy('occurred_at').execute();
}

export async function grantsOf(db: Kysely<Database>, clientId: string) {
  return db.selectFrom('grants').selectAll().where('client_id', '=', clientId).orderBy('granted_at').execute();
}

/** A page's visible text of an element with role="alert", if any. */
export function alertText(html: string): string | undefined {
  return /role="alert"[^>]*>\s*<p>([^<]*)<\/p>/.exec(html)?.[1];
}
