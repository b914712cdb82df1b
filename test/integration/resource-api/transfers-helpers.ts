import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { ApiSession } from '../../helpers/api-session.ts';
import { dpopProof, rawGet, type ApiResponse } from '../../helpers/api-probe.ts';
import type { AuthServer } from '../../helpers/auth-server.ts';
import { jstDate } from '../../../src/shared/jst.ts';

/** 振込 API calls for the transfers-*.test.ts files (DESIGN §17). */

export const A88 = '101011000088'; // 青空商事 法人営業部 普通 1000088 (user 2 has 振込・振替 on it)
export const A658 = '101011000658'; // 青空商事 法人営業部 普通 1000658
export const A123 = '100012000123'; // 青空 花子 本店営業部 普通 2000123

/** One item to 青空 花子's account in this bank (the demo's beneficiary). */
export const toHanako = (amount = '1000', itemId = '1') => ({
  itemId, transferAmount: amount, beneficiaryBankCode: '0310', beneficiaryBranchCode: '100', accountTypeCode: '1', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ',
});
/** One item to 青空商事's 代表口座 in this bank. */
export const toAozora = (amount = '1000', itemId = '1') => ({
  itemId, transferAmount: amount, beneficiaryBankCode: '0310', beneficiaryBranchCode: '101', accountTypeCode: '1', accountNumber: '1000088', beneficiaryName: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ',
});

export function transferBody(accountId: string, transfers: Record<string, string>[] = [toHanako()], extra: Record<string, unknown> = {}) {
  return { accountId, transferDesignatedDate: jstDate(), transfers, ...extra };
}

/**
 * A DPoP-authenticated call with exactly the given body and headers (a fresh proof for the method and
 * URL), answered raw: for error shapes, which a client library would turn into exceptions.
 */
export async function dpopCall(
  server: AuthServer, session: Pick<ApiSession, 'tokens' | 'c'>, method: 'GET' | 'POST', path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const url = new URL(path, server.issuer);
  const token = session.tokens.access_token;
  const proof = await dpopProof(session.c.dpopKeys, { htm: method, htu: `${server.issuer}${url.pathname}`, accessToken: token });
  const headers: Record<string, string> = { authorization: `DPoP ${token}`, dpop: proof, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (method === 'GET') return rawGet(server, url.toString(), headers);
  const res = await server.fetch(url, { method, headers, body: opts.rawBody ?? JSON.stringify(opts.body ?? {}) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers as unknown as Headers, body, text };
}

/** 振込依頼 the way a partner's app does it with a real OAuth client library (oauth4webapi, DPoP). */
export async function requestWithClient(server: AuthServer, session: ApiSession, path: string, body: unknown, idempotencyKey = randomUUID()): Promise<Response> {
  return oauth.protectedResourceRequest(session.tokens.access_token, 'POST', new URL(path, server.issuer),
    new Headers({ 'content-type': 'application/json', 'idempotency-key': idempotencyKey }), JSON.stringify(body), { DPoP: session.c.DPoP, ...session.c.customFetch });
}
