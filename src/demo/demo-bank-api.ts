import * as client from 'openid-client';
import type { DemoOAuth } from './demo-oauth.ts';
import type { DemoSession } from './demo-sessions.ts';

/** What the demo reads of the resource API's answers (DESIGN §8). */
/** A 外貨普通 (51) balance has no yen `balance` but `fcyTotalBalance` and, with a published rate, its yen equivalent (GMO's rules). */
export interface Balance {
  accountId: string; accountTypeCode: string; balance?: string; withdrawableAmount?: string; previousDayBalance?: string; currencyCode: string; baseDate: string; baseTime: string;
  fcyTotalBalance?: string; yenEquivalent?: string;
}
/** Branch, number, names and 代表口座 come for ordinary yen accounts (01, 02) only. */
export interface Account {
  accountId: string; accountTypeCode: string; accountTypeName: string; currencyCode: string; currencyName: string;
  branchName?: string; branchCode?: string; accountNumber?: string; primaryAccountCodeName?: string; accountName?: string;
}
export interface Statement {
  accountId: string; currencyCode: string; currencyName: string; dateFrom: string; dateTo: string; hasNext: boolean; nextItemKey?: string; count: string;
  transactions: { transactionDate: string; valueDate: string; transactionType: '1' | '2'; amount: string; remarks?: string; balance: string; itemKey: string }[];
}

/** Refresh a little before the access token (10 minutes, DESIGN §7) runs out. */
const REFRESH_MARGIN_MS = 30_000;

/** An API answer the demo cannot use, shown to the visitor with its code. */
export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The bank's resource API as the demo calls it: GETs with the session's DPoP-bound access token,
 * refreshed when it runs out (once more when the API calls it invalid).
 */
export class DemoBankApi {
  private readonly oauth: DemoOAuth;
  private readonly apiBase: string;

  constructor(oauth: DemoOAuth, issuer: string) {
    this.oauth = oauth;
    this.apiBase = `${issuer}/api/v1`;
  }

  /** A token response into the session (refresh tokens are not rotated, so an absent one keeps the old). */
  keepTokens(s: DemoSession, t: client.TokenEndpointResponse): void {
    s.tokens = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? s.tokens?.refreshToken,
      expiresAt: Date.now() + (t.expires_in ?? 600) * 1000,
      scope: t.scope ?? s.tokens?.scope ?? '',
    };
  }

  async get<T>(s: DemoSession, path: string, query?: Record<string, string | undefined>): Promise<T> {
    if (!s.tokens || !s.dpop) throw new ApiCallError(401, 'session_expired', 'not linked');
    if (s.tokens.expiresAt - REFRESH_MARGIN_MS < Date.now()) await this.refresh(s);
    const url = new URL(`${this.apiBase}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v) url.searchParams.set(k, v);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await client.fetchProtectedResource(await this.oauth.configuration(), s.tokens.accessToken, url, 'GET', undefined,
          new Headers({ accept: 'application/json', 'accept-language': 'ja' }), { DPoP: s.dpop });
      } catch (err) {
        if (err instanceof client.WWWAuthenticateChallengeError) {
          const code = err.cause[0]?.parameters.error ?? 'invalid_token';
          if (err.response.status === 401 && code === 'invalid_token' && attempt === 0 && s.tokens.refreshToken) {
            await this.refresh(s);
            continue;
          }
          const body = await err.response.json().catch(() => ({})) as { errorCode?: string; errorMessage?: string };
          throw new ApiCallError(err.response.status, body.errorCode ?? code, body.errorMessage ?? code);
        }
        throw err;
      }
      const body = await res.json().catch(() => undefined) as (T & { errorCode?: string; errorMessage?: string }) | undefined;
      if (!res.ok || !body) throw new ApiCallError(res.status, body?.errorCode ?? 'server_error', body?.errorMessage ?? `HTTP ${res.status}`);
      return body;
    }
  }

  private async refresh(s: DemoSession): Promise<void> {
    if (!s.tokens?.refreshToken || !s.dpop) throw new ApiCallError(401, 'session_expired', 'no refresh token');
    this.keepTokens(s, await client.refreshTokenGrant(await this.oauth.configuration(), s.tokens.refreshToken, undefined, { DPoP: s.dpop }));
  }
}
