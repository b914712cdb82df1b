import { createHmac, timingSafeEqual } from 'node:crypto';
import { jstDate } from '../shared/jst.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { DEMO_PARTNER } from '../db/seed/demo-data.ts';
import {
  createDemoOAuth, demoRedirectUri, DEMO_SCOPES, ensureDemoClient, loadOrCreateDemoClientKey, type DemoClientKey, type DemoOAuth,
} from './demo-client.ts';
import { DemoSessions, type DemoSession } from './demo-sessions.ts';

/**
 * `/demo`: the partner demo かんたん家計簿 (DESIGN §9, §12) — a small web app of the demo partner
 * that links a bank account through the real journey and shows what the resource API returns. It is
 * an ordinary OAuth client of this server: PAR, PKCE S256, private_key_jwt, DPoP-bound tokens
 * (FAPI 2.0, DESIGN §7), through openid-client v6 over HTTPS. Nothing here reaches into the
 * authorization server's or the API's code; everything goes over the wire.
 *
 * Pages need no JavaScript and load nothing from outside (the site's CSP holds).
 */
export interface DemoPluginOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  /** PEM of the server certificate the demo trusts when calling its own issuer (loopback only). */
  serverCertificate: string;
  /** The client key: given (tests), or kept in this directory (default DATA_DIR). */
  key?: DemoClientKey;
  keyDir?: string;
  /** Signs the session cookie's id and derives the CSRF tokens: the app's cookie keys. */
  cookieKeys: string[];
  sessions?: DemoSessions;
}

const COOKIE = 'kakeibo_session';
const COOKIE_OPTS = { signed: true, httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/demo' };
const ACCOUNT_ID = /^\d{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ITEM_KEY = /^\d{1,18}$/;
/** The statement page shows this many days ending on the newest line by default. */
const DEFAULT_DAYS = 30;
/** Refresh a little before the access token (10 minutes, DESIGN §7) runs out. */
const REFRESH_MARGIN_MS = 30_000;

interface Balance { accountId: string; balance: string; withdrawableAmount?: string; previousDayBalance?: string; currencyCode: string; baseDate: string; baseTime: string }
interface Account { accountId: string; branchName: string; branchCode: string; accountTypeName: string; accountNumber: string; primaryAccountCodeName: string; accountName: string; currencyCode: string; currencyName: string }
interface Statement {
  accountId: string; currencyCode: string; currencyName: string; dateFrom: string; dateTo: string; hasNext: boolean; nextItemKey?: string; count: string;
  transactions: { transactionDate: string; valueDate: string; transactionType: '1' | '2'; amount: string; remarks?: string; balance: string; itemKey: string }[];
}

/** An API answer the demo cannot use, shown to the visitor with its code. */
class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Every page's view data; the layout takes title and lang. */
async function render(reply: FastifyReply, view: string, data: Record<string, unknown>, status = 200) {
  const html = await reply.viewAsync(`demo/${view}`, { lang: 'ja', partner: DEMO_PARTNER, ...data });
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** Thousands separators on the API's decimal strings (no floating point). */
export function formatAmount(value: string, currency: string): string {
  const neg = value.startsWith('-');
  const [int = '0', frac] = (neg ? value.slice(1) : value).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = neg ? '-' : '';
  return currency === 'JPY' ? `${sign}${grouped}円` : `${sign}${grouped}${frac !== undefined ? `.${frac}` : ''} ${currency}`;
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export async function demoPlugin(app: FastifyInstance, opts: DemoPluginOptions): Promise<void> {
  const { config, db } = opts;
  const issuer = config.publicUrl;
  const key = opts.key ?? (await loadOrCreateDemoClientKey(opts.keyDir ?? config.dataDir));
  await ensureDemoClient(db, config, key);
  const oauth: DemoOAuth = createDemoOAuth({ issuer, serverCertificate: opts.serverCertificate, key });
  app.addHook('onClose', async () => oauth.close());
  const sessions = opts.sessions ?? new DemoSessions();
  const csrfKey = opts.cookieKeys[0]!;
  const csrfFor = (s: DemoSession) => createHmac('sha256', csrfKey).update(`kakeibo-form:${s.id}`).digest('base64url');

  function currentSession(request: FastifyRequest): DemoSession | undefined {
    const raw = request.cookies[COOKIE];
    if (!raw) return undefined;
    const u = request.unsignCookie(raw);
    return u.valid && u.value ? sessions.get(u.value) : undefined;
  }

  function csrfValid(request: FastifyRequest, s: DemoSession | undefined): boolean {
    const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
    if (!s || typeof sent !== 'string') return false;
    const a = Buffer.from(csrfFor(s));
    const b = Buffer.from(sent);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  const expired = (reply: FastifyReply) => render(reply, 'message', {
    title: 'セッションの有効期限が切れました', kind: 'alert', errorCode: 'session_expired',
    message: '操作の有効期限が切れたか、まだ口座が連携されていません。もう一度「口座を連携する」からお試しください。',
  }, 401);

  /** A token response into the session (refresh tokens are not rotated, so an absent one keeps the old). */
  function keepTokens(s: DemoSession, t: client.TokenEndpointResponse) {
    s.tokens = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? s.tokens?.refreshToken,
      expiresAt: Date.now() + (t.expires_in ?? 600) * 1000,
      scope: t.scope ?? s.tokens?.scope ?? '',
    };
  }

  async function refresh(s: DemoSession): Promise<void> {
    if (!s.tokens?.refreshToken || !s.dpop) throw new ApiCallError(401, 'session_expired', 'no refresh token');
    keepTokens(s, await client.refreshTokenGrant(await oauth.configuration(), s.tokens.refreshToken, undefined, { DPoP: s.dpop }));
  }

  /** GET on the resource API with the session's DPoP-bound token; refreshed once when it expired. */
  async function callApi<T>(s: DemoSession, pathAndQuery: string): Promise<T> {
    if (!s.tokens || !s.dpop) throw new ApiCallError(401, 'session_expired', 'not linked');
    if (s.tokens.expiresAt - REFRESH_MARGIN_MS < Date.now()) await refresh(s);
    const url = new URL(`${issuer}/api/v1${pathAndQuery}`);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await client.fetchProtectedResource(await oauth.configuration(), s.tokens.accessToken, url, 'GET', undefined,
          new Headers({ accept: 'application/json', 'accept-language': 'ja' }), { DPoP: s.dpop });
      } catch (err) {
        if (err instanceof client.WWWAuthenticateChallengeError) {
          const code = err.cause[0]?.parameters.error ?? 'invalid_token';
          if (err.response.status === 401 && code === 'invalid_token' && attempt === 0 && s.tokens.refreshToken) {
            await refresh(s);
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

  /** Shows why a call failed: a lost grant sends the visitor back to the start. */
  function apiFailure(request: FastifyRequest, reply: FastifyReply, s: DemoSession, err: unknown) {
    if (err instanceof ApiCallError || err instanceof client.ResponseBodyError) {
      const status = err instanceof ApiCallError ? err.status : 401;
      const code = err instanceof ApiCallError ? err.code : err.error;
      if (status === 401 || code === 'invalid_grant') {
        delete s.tokens;
        return expired(reply);
      }
      return render(reply, 'message', {
        title: '口座情報を取得できませんでした', kind: 'alert', errorCode: code,
        message: err.message, back: '/demo/accounts',
      }, status === 403 ? 403 : 502);
    }
    return unreachable(request, reply, err);
  }

  /** The bank's server could not be reached or answered something unusable: a page, not a 500. */
  function unreachable(request: FastifyRequest, reply: FastifyReply, err: unknown) {
    request.log.warn({ err }, 'demo: a call to the bank failed');
    return render(reply, 'message', {
      title: '銀行に接続できませんでした', kind: 'alert', errorCode: 'bank_unavailable',
      message: 'れんけい銀行のサーバーに接続できませんでした。しばらくしてから、もう一度お試しください。', back: '/demo',
    }, 502);
  }

  app.get('/demo', async (request, reply) => {
    let s = currentSession(request);
    if (!s) {
      s = sessions.create();
      reply.setCookie(COOKIE, s.id, COOKIE_OPTS);
    }
    return render(reply, 'landing', { title: 'かんたん家計簿（デモ）', csrfToken: csrfFor(s), linked: Boolean(s.tokens) });
  });

  // 口座を連携する: PAR happens here, server-side (FAPI 2.0), then the browser goes to the bank.
  app.post('/demo/start', async (request, reply) => {
    const s = currentSession(request);
    if (!csrfValid(request, s)) return expired(reply);
    let url: URL;
    try {
      const configuration = await oauth.configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      s!.dpopKeys = await client.randomDPoPKeyPair('ES256');
      s!.dpop = client.getDPoPHandle(configuration, s!.dpopKeys);
      s!.pending = { state, codeVerifier };
      url = await client.buildAuthorizationUrlWithPAR(configuration, {
        redirect_uri: demoRedirectUri(config),
        scope: DEMO_SCOPES.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        ui_locales: 'ja',
      }, { DPoP: s!.dpop });
    } catch (err) {
      return unreachable(request, reply, err);
    }
    return reply.code(303).header('cache-control', 'no-store').redirect(url.href, 303);
  });

  // The authorization response (RFC 6749 §4.1.2, with iss per RFC 9207): state, iss and the code
  // are checked by openid-client, the code exchanged with the PKCE verifier and the session's DPoP key.
  app.get('/demo/callback', async (request, reply) => {
    const s = currentSession(request);
    if (!s?.pending || !s.dpop) return expired(reply);
    const pending = s.pending;
    delete s.pending; // one attempt per start
    const currentUrl = new URL(request.url, `${issuer}/`);
    try {
      const tokens = await client.authorizationCodeGrant(await oauth.configuration(), currentUrl,
        { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state }, undefined, { DPoP: s.dpop });
      keepTokens(s, tokens);
      s.newestDate = new Map();
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) {
        const denied = err.error === 'access_denied';
        request.log.info({ error: err.error }, 'demo: authorization refused');
        return render(reply, 'message', {
          title: denied ? '口座の連携が許可されませんでした' : '口座を連携できませんでした',
          kind: denied ? 'notice' : 'alert', errorCode: err.error,
          message: denied
            ? '銀行の画面で「拒否」が選ばれたため、かんたん家計簿は口座の情報を取得していません。連携する場合は、もう一度お試しください。'
            : `銀行から連携の失敗が返されました（${err.error_description ?? err.error}）。もう一度お試しください。`,
          back: '/demo',
        }, denied ? 200 : 400);
      }
      request.log.warn({ err }, 'demo: the authorization response was not accepted');
      return render(reply, 'message', {
        title: '口座を連携できませんでした', kind: 'alert', errorCode: 'invalid_response',
        message: '銀行からの応答を確認できませんでした。もう一度「口座を連携する」からお試しください。', back: '/demo',
      }, 400);
    }
    return reply.redirect('/demo/accounts', 303);
  });

  app.get('/demo/accounts', async (request, reply) => {
    const s = currentSession(request);
    if (!s?.tokens) return expired(reply);
    try {
      const [{ accounts }, { balances }] = await Promise.all([
        callApi<{ accounts: Account[] }>(s, '/accounts'),
        s.tokens.scope.split(' ').includes('balances') ? callApi<{ balances: Balance[] }>(s, '/accounts/balances') : Promise.resolve({ balances: [] as Balance[] }),
      ]);
      const byId = new Map(balances.map((b) => [b.accountId, b]));
      const scopes = s.tokens.scope.split(' ');
      return await render(reply, 'accounts', {
        title: '連携中の口座', csrfToken: csrfFor(s),
        canStatements: scopes.includes('transactions'), canBalances: scopes.includes('balances'),
        accounts: accounts.map((a) => {
          const b = byId.get(a.accountId);
          return { ...a, balance: b ? formatAmount(b.balance, b.currencyCode) : undefined,
            withdrawable: b?.withdrawableAmount ? formatAmount(b.withdrawableAmount, b.currencyCode) : undefined,
            asOf: b ? `${b.baseDate} ${b.baseTime.slice(0, 5)}` : undefined };
        }),
      });
    } catch (err) {
      return apiFailure(request, reply, s, err);
    }
  });

  app.get<{ Params: { accountId: string }; Querystring: Record<string, string | undefined> }>('/demo/accounts/:accountId/transactions', async (request, reply) => {
    const s = currentSession(request);
    if (!s?.tokens) return expired(reply);
    const { accountId } = request.params;
    const q = request.query;
    const bad = !ACCOUNT_ID.test(accountId) || [q.dateFrom, q.dateTo].some((d) => d !== undefined && !DATE.test(d))
      || (q.nextItemKey !== undefined && !ITEM_KEY.test(q.nextItemKey));
    if (bad) {
      return render(reply, 'message', { title: '入出金明細', kind: 'alert', errorCode: 'invalid_parameter', message: '指定された条件が正しくありません。', back: '/demo/accounts' }, 400);
    }
    try {
      let { dateFrom, dateTo } = q;
      if (!dateFrom && !dateTo) {
        // Default: the last 30 days ending on the newest line (the demo statements end on the day they
        // were seeded, which may lie in the past).
        const newest = await newestLineDate(s, accountId);
        dateTo = newest;
        dateFrom = addDays(newest, -(DEFAULT_DAYS - 1));
      }
      const params = new URLSearchParams({ accountId, ...(dateFrom ? { dateFrom } : {}), ...(dateTo ? { dateTo } : {}), ...(q.nextItemKey ? { nextItemKey: q.nextItemKey } : {}) });
      const st = await callApi<Statement>(s, `/accounts/transactions?${params}`);
      const next = st.hasNext && st.nextItemKey
        ? `/demo/accounts/${accountId}/transactions?${new URLSearchParams({ dateFrom: st.dateFrom, dateTo: st.dateTo, nextItemKey: st.nextItemKey })}`
        : undefined;
      // Newest first reads better for a household budget; the API pages oldest first (DESIGN §8).
      const rows = st.transactions.map((t) => ({
        date: t.transactionDate, remarks: t.remarks ?? '',
        credit: t.transactionType === '1' ? formatAmount(t.amount, st.currencyCode) : '',
        debit: t.transactionType === '2' ? formatAmount(t.amount, st.currencyCode) : '',
        balance: formatAmount(t.balance, st.currencyCode),
      })).reverse();
      return await render(reply, 'transactions', {
        title: '入出金明細', accountId, statement: st, rows, next, first: q.nextItemKey ? `/demo/accounts/${accountId}/transactions?${new URLSearchParams({ dateFrom: st.dateFrom, dateTo: st.dateTo })}` : undefined,
      });
    } catch (err) {
      return apiFailure(request, reply, s, err);
    }
  });

  /** The date of the account's newest statement line: pages from the first line up to today, once per session. */
  async function newestLineDate(s: DemoSession, accountId: string): Promise<string> {
    const known = s.newestDate?.get(accountId);
    if (known) return known;
    const today = jstDate();
    let newest = today;
    let nextItemKey: string | undefined;
    for (let page = 0; page < 20; page++) {
      const params = new URLSearchParams({ accountId, dateTo: today, ...(nextItemKey ? { nextItemKey } : {}) });
      const st = await callApi<Statement>(s, `/accounts/transactions?${params}`);
      if (st.transactions.length) newest = st.transactions.at(-1)!.transactionDate;
      if (!st.hasNext || !st.nextItemKey) break;
      nextItemKey = st.nextItemKey;
    }
    (s.newestDate ??= new Map()).set(accountId, newest);
    return newest;
  }

  // 連携を解除する: revoke the refresh token (which ends the bank's grant), then forget the session.
  app.post('/demo/revoke', async (request, reply) => {
    const s = currentSession(request);
    if (!csrfValid(request, s)) return expired(reply);
    const token = s!.tokens?.refreshToken ?? s!.tokens?.accessToken;
    if (token) {
      try {
        await client.tokenRevocation(await oauth.configuration(), token, { token_type_hint: s!.tokens?.refreshToken ? 'refresh_token' : 'access_token' });
      } catch (err) {
        return unreachable(request, reply, err); // the session stays, so 連携を解除する can be retried
      }
    }
    sessions.delete(s!.id);
    reply.clearCookie(COOKIE, { path: '/demo' });
    return render(reply, 'message', {
      title: '口座の連携を解除しました', kind: 'notice', message: 'かんたん家計簿は、今後この口座の情報を取得できません。銀行側の連携も終了しています。', back: '/demo',
    });
  });
}
