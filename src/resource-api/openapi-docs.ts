import type { TSchema } from '@sinclair/typebox';
import { ErrorRef } from '../shared/error.schemas.ts';
import type { Scope } from '../shared/scopes.ts';

/**
 * What the OpenAPI document says of each operation beyond its schemas (DESIGN §8): the scopes it
 * needs, what every response means, the headers that come with it, and examples that are real
 * answers of the demo data. Fastify serializes by the same response schemas.
 */

/**
 * An operation's security: an access token with any one of `anyOf` (OpenID Connect scopes, as the
 * discovery document lists them), bound by DPoP or presented over mutual TLS with its certificate.
 * Within one requirement every scheme applies; the requirements are alternatives.
 */
export function securityFor(anyOf: readonly Scope[]): Record<string, string[]>[] {
  return ['DPoP', 'mtls'].flatMap((binding) => anyOf.map((scope) => ({ oidc: [scope], [binding]: [] })));
}

const REQUEST_ID_EXAMPLE = '0f6e8f4c-2b1d-4c8e-9a55-3d2f7b1e6a90';
export const REQUEST_ID = { type: 'string', description: 'このリクエストのID。お問い合わせの際にお知らせください', examples: [REQUEST_ID_EXAMPLE] };
const RETRY_AFTER = { type: 'string', pattern: '^\\d+$', description: '再試行までの秒数', examples: ['30'] };
export const WWW_AUTHENTICATE = {
  type: 'string',
  description: 'RFC 6750 §3 / RFC 9449 §7.1 のチャレンジ。error と error_description で理由を示します',
  examples: ['DPoP error="invalid_token", error_description="the access token expired", algs="ES256 PS256 EdDSA"'],
};

/** A named example of an error body; `extra` carries a refused transfer's details. */
export const error = (errorCode: string, errorMessage: string, extra: Record<string, unknown> = {}) =>
  ({ value: { errorCode, errorMessage, requestId: REQUEST_ID_EXAMPLE, ...extra } });

/** The errors every operation shares, whatever its body: an unknown path, the rate limit, an outage. */
export const COMMON_ERROR_RESPONSES = {
  404: {
    description: 'not_found: パスの誤り (このドキュメントにない操作)',
    examples: { not_found: error('not_found', 'お探しのページは見つかりませんでした。') },
  },
  429: {
    description: 'rate_limited: クライアントごとの呼び出し回数の上限 (毎分) を超えました。Retry-After の秒数の後に再試行してください',
    headers: { 'retry-after': RETRY_AFTER },
    examples: { rate_limited: error('rate_limited', 'リクエストが多すぎます。しばらくしてから再度お試しください。') },
  },
  503: {
    description: 'service_unavailable: 一時的に利用できません。Retry-After の秒数の後に再試行してください',
    headers: { 'retry-after': RETRY_AFTER },
    examples: { service_unavailable: error('service_unavailable', 'ただいまサービスをご利用いただけません。しばらくしてから再度お試しください。') },
  },
} as const;

/** The error table of DESIGN §8, one response per status, each with its codes as named examples. */
const ERROR_RESPONSES = {
  400: {
    description: 'invalid_parameter: クエリの誤り (口座IDの形式、日付、dateFrom > dateTo、次明細キー、明細を照会できない科目)',
    examples: { invalid_parameter: error('invalid_parameter', '入力内容に誤りがあります。') },
  },
  401: {
    description: 'invalid_token: アクセストークンがない・不正・期限切れ・失効済み (連携解除を含む)、証明書の不一致 / invalid_dpop_proof: DPoP証明の誤り',
    headers: { 'www-authenticate': WWW_AUTHENTICATE },
    examples: {
      invalid_token: error('invalid_token', 'アクセストークンが無効です。'),
      invalid_dpop_proof: error('invalid_dpop_proof', 'DPoP証明が無効です。'),
    },
  },
  403: {
    description: 'insufficient_scope: この操作のスコープがない / account_forbidden: 連携対象外、または照会できなくなった口座',
    headers: {
      'www-authenticate': {
        ...WWW_AUTHENTICATE, description: 'insufficient_scope のときのチャレンジ (必要な scope を含みます)',
        examples: ['DPoP error="insufficient_scope", scope="transactions", algs="ES256 PS256 EdDSA"'],
      },
    },
    examples: {
      insufficient_scope: error('insufficient_scope', 'この操作に必要な権限（スコープ）がありません。'),
      account_forbidden: error('account_forbidden', 'この口座の情報は参照できません。'),
    },
  },
  ...COMMON_ERROR_RESPONSES,
} as const;

/**
 * The responses of an operation: 200 with its schema and an example answer, then the error table.
 * Each is a Fastify response schema in its per-content-type form (the serializer uses `schema`),
 * which @fastify/swagger turns into an OpenAPI Response Object as it stands.
 */
export function apiResponses<S extends TSchema>(success: { description: string; schema: S; example: unknown }) {
  const errors = Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([status, r]) => [status, {
    description: r.description,
    headers: { 'x-request-id': REQUEST_ID, ...('headers' in r ? r.headers : {}) },
    content: { 'application/json': { schema: ErrorRef, examples: r.examples } },
  }]));
  return {
    200: {
      description: success.description,
      headers: { 'x-request-id': REQUEST_ID },
      content: { 'application/json': { schema: success.schema, example: success.example } },
    },
    ...errors,
  };
}

const BASE = { baseDate: '2026-11-20', baseTime: '12:00:00+09:00' };
const ORDINARY = { accountId: '101011000088', accountTypeCode: '01', accountTypeName: '普通預金（有利息）', currencyCode: 'JPY', currencyName: '日本円' };
const USD = { accountId: '101511000995', accountTypeCode: '51', accountTypeName: '外貨普通預金', currencyCode: 'USD', currencyName: '米ドル' };

/** Example answers (the shapes of the demo data, DESIGN §9). */
export const EXAMPLES = {
  accounts: {
    accounts: [
      {
        ...ORDINARY, branchCode: '101', branchName: '法人営業部', accountNumber: '1000088', primaryAccountCode: '1', primaryAccountCodeName: '代表口座',
        accountName: '青空商事株式会社', accountNameKana: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ', transferLimitAmount: '5000000',
      },
      USD,
    ],
    ...BASE,
  },
  balances: {
    balances: [
      { ...ORDINARY, balance: '3520000', ...BASE, withdrawableAmount: '3520000', previousDayBalance: '3480000', previousMonthBalance: '3100000' },
      { ...USD, ...BASE, fcyTotalBalance: '350.48', ttb: '150.25', baseRateDate: '2026-11-20', baseRateTime: '10:00:00+09:00', yenEquivalent: '52659' },
    ],
  },
  transactions: {
    accountId: ORDINARY.accountId, currencyCode: 'JPY', currencyName: '日本円', dateFrom: '2026-11-01', dateTo: '2026-11-20', ...BASE,
    hasNext: false, count: '2',
    transactions: [
      { transactionDate: '2026-11-05', valueDate: '2026-11-05', transactionType: '1', amount: '250000', remarks: 'ｶ)ﾐﾄﾞﾘｼﾖｳｶｲ', balance: '3730000', itemKey: '1024' },
      { transactionDate: '2026-11-10', valueDate: '2026-11-10', transactionType: '2', amount: '210000', remarks: 'ﾃﾞﾝｷﾘﾖｳｷﾝ', balance: '3520000', itemKey: '1025' },
    ],
  },
};
