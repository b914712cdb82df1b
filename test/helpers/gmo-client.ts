import https from 'node:https';

/**
 * A small client that sends what GMO Aozora's generated SDKs send (swagger-codegen ApiClient and
 * AccountApi, v1.1.12): the access token only in the `x-access-token` header, no Authorization header,
 * `Accept` and `Content-Type` `application/json;charset=UTF-8` on every call, the SDK's cache-buster
 * `_=<milliseconds>` appended to every GET (its `cache = false` setting), paths relative to GMO's base
 * path (`…/ganb/api/corporation/v1` or `…/ganb/api/personal/v1`), and an HTTPS agent carrying the
 * client certificate. Written for these tests; nothing of GMO's code is used.
 */

export interface GmoClientOptions {
  /** Origin plus GMO base path, e.g. https://host:port/ganb/api/corporation/v1. */
  basePath: string;
  accessToken: string;
  /** TLS client certificate and the server certificate to trust. */
  tls: { cert: string; key: string; ca: string };
}

export interface GmoCall {
  url: URL;
  headers: Record<string, string>;
  status: number;
  responseHeaders: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

const JSON_UTF8 = 'application/json;charset=UTF-8';

export class GmoClient {
  /** Every call made, in order (what was sent and what came back). */
  readonly calls: GmoCall[] = [];
  private readonly agent: https.Agent;
  private readonly opts: GmoClientOptions;

  constructor(opts: GmoClientOptions) {
    this.opts = opts;
    this.agent = new https.Agent({ keepAlive: true, cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca });
  }

  close(): void {
    this.agent.destroy();
  }

  /** GET basePath + path with the query (undefined values dropped, as the SDK's normalizeParams does). */
  async get(path: string, query: Record<string, string | undefined> = {}): Promise<GmoCall> {
    const url = new URL(this.opts.basePath + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
    url.searchParams.set('_', String(Date.now()));
    const headers = { 'x-access-token': this.opts.accessToken, accept: JSON_UTF8, 'content-type': JSON_UTF8 };
    const { status, responseHeaders, text } = await new Promise<{ status: number; responseHeaders: GmoCall['responseHeaders']; text: string }>((resolve, reject) => {
      const req = https.request(url, { method: 'GET', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, responseHeaders: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const call = { url, headers, status, responseHeaders, body, text };
    this.calls.push(call);
    return call;
  }

  /** 口座一覧照会 (accountsUsingGET). */
  accounts(): Promise<GmoCall> {
    return this.get('/accounts');
  }

  /** 残高照会 (balancesUsingGET). */
  balances(accountId?: string): Promise<GmoCall> {
    return this.get('/accounts/balances', { accountId });
  }

  /** 入出金明細照会 (transactionsUsingGET), one page. */
  transactions(accountId: string, opts: { dateFrom?: string; dateTo?: string; nextItemKey?: string } = {}): Promise<GmoCall> {
    return this.get('/accounts/transactions', { accountId, ...opts });
  }

  /**
   * Every page of a statement: the same request again with the previous page's nextItemKey while
   * hasNext is true (GMO: 初回と同じリクエスト内容に、初回レスポンスの次明細キーを追加). Stops at a non-200.
   */
  async allTransactionPages(accountId: string, opts: { dateFrom?: string; dateTo?: string } = {}, maxPages = 50): Promise<GmoCall[]> {
    const pages = [await this.transactions(accountId, opts)];
    for (let last = pages[0]!; last.status === 200 && pages.length < maxPages; last = pages.at(-1)!) {
      const b = last.body as { hasNext?: unknown; nextItemKey?: unknown };
      if (b.hasNext !== true || typeof b.nextItemKey !== 'string') break;
      pages.push(await this.transactions(accountId, { ...opts, nextItemKey: b.nextItemKey }));
    }
    return pages;
  }
}
