import { Type } from '@sinclair/typebox';
import { ErrorRef } from '../shared/error.schemas.ts';
import { ACCOUNT_ID_DIGITS } from './parameters.ts';
import { PAGE_SIZE } from './statements.service.ts';

/** DESIGN §8 (contract): every number a string, dates YYYY-MM-DD, times HH:MM:SS+09:00, empty values omitted. */
const Num = (description: string) => Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description });
const Date8 = (description: string) => Type.String({ format: 'date', description });
const Time = Type.String({ pattern: '^\\d{2}:\\d{2}:\\d{2}\\+09:00$', description: '基準時刻 (JST)' });
const AccountId = Type.String({ pattern: `^\\d{${ACCOUNT_ID_DIGITS}}$`, description: '口座ID: 支店番号3桁 + 科目コード2桁 + 口座番号7桁' });

export const AccountSchema = Type.Object({
  accountId: AccountId,
  branchCode: Type.String({ description: '支店番号' }),
  branchName: Type.String({ description: '支店名' }),
  accountTypeCode: Type.String({ description: '科目コード: 01 普通預金, 11 円定期預金, 51 外貨普通預金' }),
  accountTypeName: Type.String({ description: '科目名' }),
  accountNumber: Type.String({ description: '口座番号 (7桁)' }),
  primaryAccountCode: Type.Union([Type.Literal('1'), Type.Literal('2')], { description: '1 代表口座 / 2 追加口座' }),
  primaryAccountCodeName: Type.String(),
  accountName: Type.String({ description: '口座名義' }),
  accountNameKana: Type.String({ description: '口座名義カナ (半角)' }),
  currencyCode: Type.String({ description: 'ISO 4217' }),
  currencyName: Type.String(),
  transferLimitAmount: Type.Optional(Num('振込限度額')),
}, { $id: 'Account', additionalProperties: false });

export const AccountsResponseSchema = Type.Object({
  accounts: Type.Array(Type.Ref('Account')),
  baseDate: Date8('基準日'),
  baseTime: Time,
}, { additionalProperties: false });

export const BalanceSchema = Type.Object({
  accountId: AccountId,
  accountTypeCode: Type.String(),
  accountTypeName: Type.String(),
  balance: Num('現在残高'),
  baseDate: Date8('基準日'),
  baseTime: Time,
  withdrawableAmount: Num('支払可能残高'),
  previousDayBalance: Num('前日残高'),
  previousMonthBalance: Num('前月末残高'),
  currencyCode: Type.String(),
  currencyName: Type.String(),
}, { $id: 'Balance', additionalProperties: false });

export const BalancesResponseSchema = Type.Object({ balances: Type.Array(Type.Ref('Balance')) }, { additionalProperties: false });

export const TransactionSchema = Type.Object({
  transactionDate: Date8('取引日'),
  valueDate: Date8('起算日'),
  transactionType: Type.Union([Type.Literal('1'), Type.Literal('2')], { description: '1 入金 / 2 出金' }),
  amount: Num('取引金額'),
  remarks: Type.Optional(Type.String({ description: '摘要' })),
  balance: Num('取引後残高'),
  itemKey: Type.String({ pattern: '^\\d+$', description: '明細キー (口座内で一意、昇順)' }),
}, { $id: 'Transaction', additionalProperties: false });

export const TransactionsResponseSchema = Type.Object({
  accountId: AccountId,
  currencyCode: Type.String(),
  currencyName: Type.String(),
  dateFrom: Date8('対象期間From'),
  dateTo: Date8('対象期間To'),
  baseDate: Date8('基準日'),
  baseTime: Time,
  hasNext: Type.Boolean({ description: '次明細フラグ' }),
  nextItemKey: Type.Optional(Type.String({ pattern: '^\\d+$', description: '次明細キー: hasNext のときだけ。同じリクエストにこの値を加えると次のページ' })),
  count: Type.String({ pattern: '^\\d+$', description: `明細取得件数 (最大${PAGE_SIZE})` }),
  transactions: Type.Array(Type.Ref('Transaction')),
}, { additionalProperties: false });

/** GET /accounts takes no parameters: an unknown one is a 400, as on the other endpoints. */
export const NoQuerySchema = Type.Object({}, { additionalProperties: false });

/** Query strings are validated loosely by type here; the services check accountId, dates and keys for clear messages. */
export const BalancesQuerySchema = Type.Object({
  accountId: Type.Optional(Type.String({ maxLength: 29 })),
}, { additionalProperties: false });

export const TransactionsQuerySchema = Type.Object({
  accountId: Type.String({ maxLength: 29 }),
  dateFrom: Type.Optional(Type.String({ maxLength: 10 })),
  dateTo: Type.Optional(Type.String({ maxLength: 10 })),
  nextItemKey: Type.Optional(Type.String({ maxLength: 24 })),
}, { additionalProperties: false });

/** Error statuses every endpoint can answer with (DESIGN §8 table). */
export const API_ERRORS = { 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 429: ErrorRef, 503: ErrorRef };
