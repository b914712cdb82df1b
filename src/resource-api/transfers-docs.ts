import type { TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { COMMON_ERROR_RESPONSES, error, REQUEST_ID, WWW_AUTHENTICATE } from './openapi-docs.ts';

/**
 * What the OpenAPI document says of the 振込 operations beyond their schemas (DESIGN §17): every
 * error of them is GMO's TransferError (the §8 error body, with `errorDetails` and
 * `transferErrorDetails` when a transfer is refused), and examples in the shapes of the demo data.
 */

const TRANSFER_CHALLENGE = {
  ...WWW_AUTHENTICATE,
  description: 'RFC 6750 §3 / RFC 9449 §7.1 のチャレンジ。insufficient_scope のときは必要な scope (transfers) を含みます',
  examples: ['DPoP error="insufficient_scope", scope="transfers", algs="ES256 PS256 EdDSA"'],
};
const TransferErrorRef = Type.Unsafe<Record<string, unknown>>(Type.Ref('TransferError'));

const ERROR_RESPONSES = {
  400: {
    description: 'invalid_parameter: 依頼内容の誤り。errorDetails (依頼全体) と transferErrorDetails (明細ごと) に項目と理由 / '
      + 'transfer_refused: 振込できない依頼 (振込限度額超過、振込・振替の権限なし、口座の科目など) / 受付番号が見つからない・取消できない状態',
    examples: {
      invalid_parameter: error('invalid_parameter', '入力内容に誤りがあります。', {
        errorDetails: [],
        transferErrorDetails: [{ itemId: '1', errorDetails: [{ errorDetailsCode: 'accountNumber', errorDetailsMessage: '口座番号は7桁の数字で指定してください。' }] }],
      }),
    },
  },
  401: {
    description: 'invalid_token: アクセストークンがない・不正・期限切れ・失効済み (連携解除を含む)、証明書の不一致 / invalid_dpop_proof: DPoP証明の誤り',
    headers: { 'www-authenticate': { ...TRANSFER_CHALLENGE, examples: ['DPoP error="invalid_token", error_description="the access token expired", algs="ES256 PS256 EdDSA"'] } },
    examples: { invalid_token: error('invalid_token', 'アクセストークンが無効です。') },
  },
  403: {
    description: 'insufficient_scope: スコープ transfers がない / account_forbidden: 連携対象外の口座、または振込・振替の権限がない口座',
    headers: { 'www-authenticate': TRANSFER_CHALLENGE },
    examples: {
      insufficient_scope: error('insufficient_scope', 'この操作に必要な権限（スコープ）がありません。'),
      account_forbidden: error('account_forbidden', 'この口座の情報は参照できません。'),
    },
  },
  409: {
    description: 'idempotency_conflict: 同じ Idempotency-Key で内容の違う依頼を受け付け済みです (振込依頼のみ)',
    examples: { idempotency_conflict: error('idempotency_conflict', '同じIdempotency-Keyで異なる内容の依頼を受け付けています。') },
  },
  ...COMMON_ERROR_RESPONSES,
} as const;

/**
 * The responses of a 振込 operation: the success status with its schema and example, then the error
 * table, each error as a TransferError (so a refused transfer's details are serialized, not dropped).
 */
export function transferResponses<S extends TSchema>(status: 200 | 201, success: { description: string; schema: S; example: unknown }, opts: { idempotency?: boolean } = {}) {
  const errors = Object.fromEntries(Object.entries(ERROR_RESPONSES)
    .filter(([code]) => code !== '409' || opts.idempotency)
    .map(([code, r]) => [code, {
      description: r.description,
      headers: { 'x-request-id': REQUEST_ID, ...('headers' in r ? r.headers : {}) },
      content: { 'application/json': { schema: TransferErrorRef, examples: r.examples } },
    }]));
  const replayed = opts.idempotency
    ? { 'idempotent-replayed': { type: 'string', enum: ['true'], description: '同じ Idempotency-Key と内容の再送に、最初の結果を返したとき' } }
    : {};
  return {
    [status]: {
      description: success.description,
      headers: { 'x-request-id': REQUEST_ID, ...replayed },
      content: { 'application/json': { schema: success.schema, example: success.example } },
    },
    ...errors,
  };
}

const BASE = { baseDate: '2026-11-20', baseTime: '12:00:00+09:00' };
const ACCOUNT_ID = '101011000088';
const APPLY_NO = '2026112012345678';

/** Example answers (the demo data, DESIGN §9: 青空商事 pays its own 追加口座). */
export const TRANSFER_EXAMPLES = {
  fee: { accountId: ACCOUNT_ID, ...BASE, totalFee: '0', transferFeeDetails: [{ itemId: '1', transferFee: '0' }] },
  request: { accountId: ACCOUNT_ID, resultCode: '2', applyNo: APPLY_NO, applyEndDatetime: '2026-11-20T23:59:59+09:00' },
  result: { accountId: ACCOUNT_ID, resultCode: '2', applyNo: APPLY_NO, applyEndDatetime: '2026-11-20T23:59:59+09:00' },
  status: {
    acceptanceKeyClass: '1', ...BASE, count: '1',
    transferDetails: [{
      transferStatus: '2', transferStatusName: '申請中', transferTypeName: '振込振替', isFeeFreeUse: false, transferDetailFee: '0', totalDebitAmount: '150000',
      transferApplies: [{ applyNo: APPLY_NO, transferApplyDetails: [{ applyDatetime: '2026-11-20T12:00:00+09:00', applyStatus: '1', applyUser: '振込 担当' }] }],
      transferAccepts: [],
      transferResponses: [{
        accountId: ACCOUNT_ID, remitterName: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ', transferDesignatedDate: '2026-11-20',
        transferInfos: [{ transferAmount: '150000', beneficiaryBankCode: '0310', beneficiaryBranchCode: '101', accountTypeCode: '1', accountNumber: '1000658', beneficiaryName: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ' }],
      }],
    }],
  },
  cancel: { accountId: ACCOUNT_ID, cancelTargetKeyClass: '1', resultCode: '1', applyNo: APPLY_NO, applyEndDatetime: '2026-11-20T12:05:00+09:00' },
};
