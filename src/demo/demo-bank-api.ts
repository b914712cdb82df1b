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

/** GMO's TransferError details: what a refused 振込依頼 names, per request and per item. */
interface ApiErrorBody {
  errorCode?: string;
  errorMessage?: string;
  errorDetails?: { errorDetailsCode: string; errorDetailsMessage: string }[];
  transferErrorDetails?: { itemId: string; errorDetails: { errorDetailsCode: string; errorDetailsMessage: string }[] }[];
}

/** The reasons of a refused transfer as lines to show (item-level ones with their 明細番号). */
function detailsOf(body: ApiErrorBody | undefined): string[] {
  return [
    ...(body?.errorDetails ?? []).map((d) => d.errorDetailsMessage),
    ...(body?.transferErrorDetails ?? []).flatMap((t) => t.errorDetails.map((d) => `明細${t.itemId}: ${d.errorDetailsMessage}`)),
  ];
}

/** An API answer the demo cannot use, shown to the visitor with its code (and a refused transfer's reasons). */
export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string[];
  constructor(status: number, code: string, message: string, details: string[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
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
    return this.call<T>(s, 'GET', path, query);
  }

  /** A JSON POST (振込依頼); `headers` such as Idempotency-Key, so a retry after a lost answer is safe. */
  async post<T>(s: DemoSession, path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.call<T>(s, 'POST', path, undefined, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  }

  private async call<T>(s: DemoSession, method: 'GET' | 'POST', path: string, query?: Record<string, string | undefined>, send?: { body: string; headers: Record<string, string> }): Promise<T> {
    if (!s.tokens || !s.dpop) throw new ApiCallError(401, 'session_expired', 'not linked');
    if (s.tokens.expiresAt - REFRESH_MARGIN_MS < Date.now()) await this.refresh(s);
    const url = new URL(`${this.apiBase}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v) url.searchParams.set(k, v);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await client.fetchProtectedResource(await this.oauth.configuration(), s.tokens.accessToken, url, method, send?.body,
          new Headers({ accept: 'application/json', 'accept-language': 'ja', ...send?.headers }), { DPoP: s.dpop });
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
      const body = await res.json().catch(() => undefined) as (T & ApiErrorBody) | undefined;
      if (!res.ok || !body) throw new ApiCallError(res.status, body?.errorCode ?? 'server_error', body?.errorMessage ?? `HTTP ${res.status}`, detailsOf(body));
      return body;
    }
  }

  private async refresh(s: DemoSession): Promise<void> {
    if (!s.tokens?.refreshToken || !s.dpop) throw new ApiCallError(401, 'session_expired', 'no refresh token');
    this.keepTokens(s, await client.refreshTokenGrant(await this.oauth.configuration(), s.tokens.refreshToken, undefined, { DPoP: s.dpop }));
  }
}
