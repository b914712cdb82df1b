import { Type } from '@sinclair/typebox';
import { ACCOUNT_ID_DIGITS } from './parameters.ts';
import { PAGE_SIZE } from './statements.service.ts';

/** DESIGN §8 (contract): every number a string, dates YYYY-MM-DD, times HH:MM:SS+09:00, empty values omitted. */
// Every pattern-bearing field carries a valid example, or documentation tools make one up from the
// pattern (such as a 基準時刻 of "73:33:62+09:00").
const Num = (description: string, example = '1000000') => Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description, examples: [example] });
const Date8 = (description: string) => Type.String({ format: 'date', description, examples: ['2026-11-20'] });
const TIME_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\+09:00$';
const Time = Type.String({ pattern: TIME_PATTERN, description: '基準時刻 (JST)', examples: ['12:00:00+09:00'] });
const AccountId = Type.String({ pattern: `^\\d{${ACCOUNT_ID_DIGITS}}$`, description: '口座ID: 支店番号3桁 + 科目コード2桁 + 口座番号7桁', examples: ['101011000088'] });

const TYPE_CODES = '科目コード: 01 普通預金（有利息）, 02 普通預金（決済用）, 11 円定期預金, 51 外貨普通預金';
const ONLY_ORDINARY = '科目コード01・02の口座のみ。それ以外の科目では項目自体を設定しません';
const ONLY_FX = '科目コード51（外貨普通預金）のみ。それ以外の科目では項目自体を設定しません';

/** JSON Schema for "the account is of one of these 科目" (GMO's per-科目 rules hang on it). */
const typeIn = (...codes: string[]) => ({ type: 'object', properties: { accountTypeCode: { enum: codes } }, required: ['accountTypeCode'] });
/** None of these fields is present. */
const absent = (fields: readonly string[]) => ({ not: { anyOf: fields.map((f) => ({ required: [f] })) } });

const ORDINARY_ACCOUNT_FIELDS = ['branchCode', 'branchName', 'accountNumber', 'primaryAccountCode', 'primaryAccountCodeName', 'accountName', 'accountNameKana'] as const;

export const AccountSchema = Type.Object({
  accountId: AccountId,
  branchCode: Type.Optional(Type.String({ description: `支店番号。${ONLY_ORDINARY}` })),
  branchName: Type.Optional(Type.String({ description: `支店名。${ONLY_ORDINARY}` })),
  accountTypeCode: Type.String({ description: TYPE_CODES }),
  accountTypeName: Type.String({ description: '科目名 (GMOあおぞらネット銀行の表記)' }),
  accountNumber: Type.Optional(Type.String({ description: `口座番号 (7桁)。${ONLY_ORDINARY}` })),
  primaryAccountCode: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')], { description: `1 代表口座 / 2 追加口座。${ONLY_ORDINARY}` })),
  primaryAccountCodeName: Type.Optional(Type.String({ description: ONLY_ORDINARY })),
  accountName: Type.Optional(Type.String({ description: `口座名義。${ONLY_ORDINARY}` })),
  accountNameKana: Type.Optional(Type.String({ description: `口座名義カナ (半角)。${ONLY_ORDINARY}` })),
  currencyCode: Type.String({ description: 'ISO 4217' }),
  currencyName: Type.String(),
  transferLimitAmount: Type.Optional(Num(`振込限度額。${ONLY_ORDINARY}（限度額の設定がある場合）`)),
}, {
  $id: 'Account',
  additionalProperties: false,
  if: typeIn('01', '02'),
  then: { required: [...ORDINARY_ACCOUNT_FIELDS] },
  else: absent([...ORDINARY_ACCOUNT_FIELDS, 'transferLimitAmount']),
});

export const AccountsResponseSchema = Type.Object({
  accounts: Type.Array(Type.Ref('Account')),
  baseDate: Date8('基準日'),
  baseTime: Time,
}, { additionalProperties: false });

const ORDINARY_BALANCE_FIELDS = ['withdrawableAmount', 'previousDayBalance', 'previousMonthBalance'] as const;
const FX_BALANCE_FIELDS = ['fcyTotalBalance', 'ttb', 'baseRateDate', 'baseRateTime', 'yenEquivalent'] as const;
const Fx = (description: string, example: string) => Type.Optional(Type.String({ pattern: '^-?\\d+(\\.\\d{1,3})?$', description: `${description}。${ONLY_FX}`, examples: [example] }));

export const BalanceSchema = Type.Object({
  accountId: AccountId,
  accountTypeCode: Type.String({ description: TYPE_CODES }),
  accountTypeName: Type.String(),
  balance: Type.Optional(Num('現在残高。科目コード51（外貨普通預金）では項目自体を設定しません（fcyTotalBalance）')),
  baseDate: Date8('基準日'),
  baseTime: Time,
  withdrawableAmount: Type.Optional(Num(`支払可能残高。${ONLY_ORDINARY}`)),
  previousDayBalance: Type.Optional(Num(`前日残高。${ONLY_ORDINARY}`)),
  previousMonthBalance: Type.Optional(Num(`前月末残高。${ONLY_ORDINARY}`)),
  currencyCode: Type.String(),
  currencyName: Type.String(),
  fcyTotalBalance: Fx('外貨残高', '350.48'),
  ttb: Fx('外貨レート (TTB)。銀行がレートを公表している場合', '150.25'),
  baseRateDate: Type.Optional(Date8(`外貨レート基準日。${ONLY_FX}`)),
  baseRateTime: Type.Optional(Type.String({ pattern: TIME_PATTERN, description: `外貨レート基準時刻 (JST)。${ONLY_FX}`, examples: ['10:00:00+09:00'] })),
  yenEquivalent: Type.Optional(Num(`外貨円換算額 (外貨残高 × TTB、円未満切り捨て)。${ONLY_FX}`, '52659')),
}, {
  $id: 'Balance',
  additionalProperties: false,
  if: typeIn('01', '02'),
  then: { required: ['balance', ...ORDINARY_BALANCE_FIELDS], ...absent(FX_BALANCE_FIELDS) },
  else: {
    if: typeIn('51'),
    // The rate fields come together, when the bank has published a rate.
    then: {
      required: ['fcyTotalBalance'],
      allOf: [absent(['balance', ...ORDINARY_BALANCE_FIELDS]), { if: { type: 'object', required: ['ttb'] }, then: { required: FX_BALANCE_FIELDS }, else: absent(FX_BALANCE_FIELDS.slice(1)) }],
    },
    else: { required: ['balance'], ...absent([...ORDINARY_BALANCE_FIELDS, ...FX_BALANCE_FIELDS]) },
  },
});

export const BalancesResponseSchema = Type.Object({ balances: Type.Array(Type.Ref('Balance')) }, { additionalProperties: false });

export const TransactionSchema = Type.Object({
  transactionDate: Date8('取引日'),
  valueDate: Date8('起算日'),
  transactionType: Type.Union([Type.Literal('1'), Type.Literal('2')], { description: '1 入金 / 2 出金' }),
  amount: Num('取引金額'),
  remarks: Type.Optional(Type.String({ description: '摘要' })),
  balance: Num('取引後残高'),
  itemKey: Type.String({ pattern: '^\\d+$', description: '明細キー (口座内で一意、昇順)', examples: ['1024'] }),
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
  nextItemKey: Type.Optional(Type.String({ pattern: '^\\d+$', description: '次明細キー: hasNext のときだけ。同じリクエストにこの値を加えると次のページ', examples: ['1525'] })),
  count: Type.String({ pattern: '^\\d+$', description: `明細取得件数 (最大${PAGE_SIZE})`, examples: ['2'] }),
  transactions: Type.Array(Type.Ref('Transaction')),
}, { additionalProperties: false });

/**
 * Query strings are validated loosely by type here; the services check accountId, dates and keys for
 * clear messages. Unknown parameters are ignored (DESIGN §8): GMO's SDKs add `_=<time>` to defeat caches.
 */
export const NoQuerySchema = Type.Object({});

export const BalancesQuerySchema = Type.Object({
  accountId: Type.Optional(Type.String({ maxLength: 29, description: '口座ID (12桁)。省略すると連携しているすべての口座の残高', examples: ['101011000088'] })),
});

export const TransactionsQuerySchema = Type.Object({
  accountId: Type.String({ maxLength: 29, description: '口座ID (12桁)。科目コード01・02の口座のみ', examples: ['101011000088'] }),
  dateFrom: Type.Optional(Type.String({
    maxLength: 10, description: '対象期間From (YYYY-MM-DD)。dateTo とともに省略すると当日分、これだけ指定すると当日まで', examples: ['2026-11-01'],
  })),
  dateTo: Type.Optional(Type.String({ maxLength: 10, description: '対象期間To (YYYY-MM-DD)。これだけ指定すると最初の明細から', examples: ['2026-11-20'] })),
  nextItemKey: Type.Optional(Type.String({
    maxLength: 24, description: `次明細キー: 前のページの nextItemKey。同じ条件で次の${PAGE_SIZE}件を取得`, examples: ['1525'],
  })),
});
