import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * GMO Aozora Net Bank's response schemas for the account operations, written by hand from the field
 * definitions of its published swagger v1.1.12 (corporate `/ganb/api/corporation/v1` and personal
 * `/ganb/api/personal/v1`): names, types, lengths, formats and required lists, plus the rules its
 * descriptions state per 科目コード ("科目コードが以下の場合のみ設定されます / 該当しない場合は項目自体を設定しません")
 * as if/then on accountTypeCode. Every object is closed (no additional properties), so a field GMO
 * does not define, or one it omits for an account type, fails validation.
 *
 * Character classes GMO names are enforced where they are unambiguous: 半角数字 as digits (with an
 * optional minus where it says マイナス含む), 半角文字 kana as half-width, dates YYYY-MM-DD, times
 * HH:MM:SS+09:00. 全角文字 on names is not enforced (the demo's 青空 花子 has an ASCII space).
 */

const str = (min: number, max: number, extra: Record<string, unknown> = {}) => ({ type: 'string', minLength: min, maxLength: max, ...extra });
/** 半角数字 (no sign). */
const digits = (min: number, max: number) => str(min, max, { pattern: '^[0-9]+$' });
/** 半角数字　マイナス含む: yen amounts. */
const signedDigits = (min: number, max: number) => str(min, max, { pattern: '^-?[0-9]+$' });
/** 半角数字　少数点および小数部最大3桁　マイナス含む: foreign-currency amounts and rates. */
const decimal3 = (min: number, max: number) => str(min, max, { pattern: '^-?[0-9]+(\\.[0-9]{1,3})?$' });
/** YYYY-MM-DD形式. */
const date = () => str(10, 10, { format: 'date', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
/** HH:MM:SS+09:00形式. */
const time = () => str(14, 14, { pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\+09:00$' });
/** 口座ID: 半角英数字, 12–29. */
const accountId = () => str(12, 29, { pattern: '^[0-9A-Za-z]+$' });
/** ISO 4217 通貨コード. */
const currencyCode = () => str(3, 3, { pattern: '^[A-Z]{3}$' });
/** 半角文字 (ASCII and half-width katakana). */
const halfWidth = (min: number, max: number) => str(min, max, { pattern: '^[\\u0020-\\u007e\\uff61-\\uff9f]+$' });

/** 科目コード and its name, as GMO lists them in the accountTypeCode description. */
export const GMO_ACCOUNT_TYPES = {
  '01': '普通預金（有利息）',
  '02': '普通預金（決済用）',
  '11': '円定期預金',
  '51': '外貨普通預金',
  '81': '証券コネクト口座',
} as const;

const typeIs = (...codes: string[]) => ({ properties: { accountTypeCode: { enum: codes } }, required: ['accountTypeCode'] });
/** `required` with the fields declared beside it (ajv's strictRequired wants them at the same level). */
const requires = (fields: readonly string[]) => ({ properties: Object.fromEntries(fields.map((f) => [f, true])), required: [...fields] });
/** The fields must not be there (each one reported by name when it is). */
const absent = (fields: readonly string[]) => ({ properties: Object.fromEntries(fields.map((f) => [f, false])) });
/** Present for these types, absent for every other. */
const onlyFor = (codes: string[], fields: readonly string[]) => ({
  if: typeIs(...codes),
  then: requires(fields),
  else: absent(fields),
});
const typeNames = Object.entries(GMO_ACCOUNT_TYPES).map(([code, name]) => ({
  if: typeIs(code),
  then: { properties: { accountTypeName: { const: name } } },
}));

/** Account fields GMO sets only for 01/02 (普通預金) accounts. */
const ORDINARY_ONLY_ACCOUNT_FIELDS = [
  'branchCode', 'branchName', 'accountNumber', 'primaryAccountCode', 'primaryAccountCodeName', 'accountName', 'accountNameKana', 'transferLimitAmount',
] as const;

const account = {
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'accountTypeCode', 'accountTypeName', 'currencyCode', 'currencyName'],
  properties: {
    accountId: accountId(),
    branchCode: digits(3, 3),
    branchName: str(1, 30),
    accountTypeCode: { ...digits(2, 2), enum: Object.keys(GMO_ACCOUNT_TYPES) },
    accountTypeName: str(1, 10),
    accountNumber: digits(7, 7),
    primaryAccountCode: { ...digits(1, 1), enum: ['1', '2'] },
    primaryAccountCodeName: str(1, 4),
    accountName: str(1, 48),
    accountNameKana: halfWidth(1, 48),
    currencyCode: currencyCode(),
    currencyName: str(1, 10),
    transferLimitAmount: digits(1, 12),
  },
  allOf: [
    onlyFor(['01', '02'], ORDINARY_ONLY_ACCOUNT_FIELDS),
    ...typeNames,
    // ・1=代表口座 ・2=追加口座
    { if: { properties: { primaryAccountCode: { const: '1' } }, required: ['primaryAccountCode'] }, then: { properties: { primaryAccountCodeName: { const: '代表口座' } } } },
    { if: { properties: { primaryAccountCode: { const: '2' } }, required: ['primaryAccountCode'] }, then: { properties: { primaryAccountCodeName: { const: '追加口座' } } } },
  ],
};

/** The personal API's つかいわけ口座 (sub-accounts); renkei has none, so the list must be absent or fit. */
const spAccount = {
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'spAccountTypeCode', 'spAccountTypeCodeName', 'spAccountName'],
  properties: {
    accountId: accountId(),
    spAccountTypeCode: digits(1, 1),
    spAccountTypeCodeName: str(3, 3),
    spAccountName: str(1, 10),
    spAccountBranchCode: digits(3, 3),
    spAccountBranchName: str(1, 30),
    spAccountNumber: digits(7, 7),
  },
};

const BALANCE_ORDINARY_ONLY = ['withdrawableAmount', 'previousDayBalance', 'previousMonthBalance'] as const;
const BALANCE_FX_ONLY = ['fcyTotalBalance', 'ttb', 'baseRateDate', 'baseRateTime', 'yenEquivalent'] as const;

const balance = {
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'accountTypeCode', 'accountTypeName', 'baseDate', 'baseTime', 'currencyCode', 'currencyName'],
  properties: {
    accountId: accountId(),
    accountTypeCode: { ...digits(2, 2), enum: Object.keys(GMO_ACCOUNT_TYPES) },
    accountTypeName: str(1, 10),
    balance: signedDigits(1, 20),
    baseDate: date(),
    baseTime: time(),
    withdrawableAmount: signedDigits(1, 20),
    previousDayBalance: signedDigits(1, 20),
    previousMonthBalance: signedDigits(1, 20),
    currencyCode: currencyCode(),
    currencyName: str(1, 10),
    fcyTotalBalance: decimal3(3, 20),
    ttb: decimal3(3, 20),
    baseRateDate: date(),
    baseRateTime: time(),
    yenEquivalent: signedDigits(1, 20),
  },
  allOf: [
    // 現在残高: 01, 02, 11, 81 only (a 51 account's balance is fcyTotalBalance, in its currency).
    onlyFor(['01', '02', '11', '81'], ['balance']),
    onlyFor(['01', '02'], BALANCE_ORDINARY_ONLY),
    onlyFor(['51'], BALANCE_FX_ONLY),
    ...typeNames,
  ],
};

const transaction = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'balance', 'transactionDate', 'transactionType', 'valueDate'],
  properties: {
    transactionDate: date(),
    valueDate: date(),
    transactionType: { ...digits(1, 1), enum: ['1', '2'] },
    amount: signedDigits(1, 20),
    remarks: str(1, 255),
    balance: signedDigits(1, 20),
    itemKey: digits(1, 24),
  },
};

const transactionsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'baseDate', 'baseTime', 'count', 'currencyCode', 'currencyName', 'dateFrom', 'dateTo', 'hasNext'],
  properties: {
    accountId: accountId(),
    currencyCode: currencyCode(),
    currencyName: str(1, 10),
    dateFrom: date(),
    dateTo: date(),
    baseDate: date(),
    baseTime: time(),
    hasNext: { type: 'boolean' },
    nextItemKey: digits(1, 24),
    count: digits(1, 7),
    transactions: { type: 'array', items: transaction },
  },
  // 次明細フラグがfalseの場合は、項目自体を設定しません (and with true it is what the next page needs).
  if: { properties: { hasNext: { const: true } }, required: ['hasNext'] },
  then: requires(['nextItemKey']),
  else: absent(['nextItemKey']),
};

const errorResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['errorCode', 'errorMessage'],
  properties: {
    // 半角英数文字, 1–10. GMO's own production codes carry underscores (WG_ERR_…), so "_" is allowed.
    errorCode: str(1, 10, { pattern: '^[0-9A-Za-z_]+$' }),
    errorMessage: str(1, 255),
  },
};

const accountsResponse = (personal: boolean) => ({
  type: 'object',
  additionalProperties: false,
  required: ['accounts', 'baseDate', 'baseTime'],
  properties: {
    baseDate: date(),
    baseTime: time(),
    accounts: { type: 'array', items: account },
    ...(personal ? { spAccounts: { type: 'array', items: spAccount } } : {}),
  },
});

const balancesResponse = (personal: boolean) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    balances: { type: 'array', items: balance },
    // つかいわけ口座残高: renkei has no sub-accounts, so the personal API's list may only be absent.
    ...(personal ? { spAccountBalances: false } : {}),
  },
});

export type GmoApi = 'corporation' | 'personal';
export type GmoOperation = 'accounts' | 'balances' | 'transactions' | 'error';

export type GmoValidators = Record<GmoApi, Record<GmoOperation, ValidateFunction>>;

/** ajv in strict mode with formats; one compiled validator per API and operation. */
export function gmoValidators(): GmoValidators {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const forApi = (personal: boolean) => ({
    accounts: ajv.compile(accountsResponse(personal)),
    balances: ajv.compile(balancesResponse(personal)),
    transactions: ajv.compile(transactionsResponse),
    error: ajv.compile(errorResponse),
  });
  return { corporation: forApi(false), personal: forApi(true) };
}

/** The ajv errors as short lines: where, what. */
export function describeErrors(v: ValidateFunction): string[] {
  return (v.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => `${e.instancePath || '/'} ${e.keyword === 'false schema' ? 'must be absent' : e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'missingProperty' in e.params ? ` (${String(e.params.missingProperty)})` : ''}`);
}
