import t from 'tap';
import { describeErrors, gmoValidators, type GmoOperation } from '../../helpers/gmo-schemas.ts';

// The GMO schemas of test/helpers/gmo-schemas.ts are not vacuous: GMO-shaped bodies pass, and each
// rule the compatibility tests rely on rejects the body that breaks it (so a passing compatibility
// run means the rule held, not that the schema accepts anything).
const v = gmoValidators();
const when = { baseDate: '2026-11-20', baseTime: '10:15:00+09:00' };

const ordinary = {
  accountId: '101011000088', branchCode: '101', branchName: '法人営業部', accountTypeCode: '01', accountTypeName: '普通預金（有利息）',
  accountNumber: '1000088', primaryAccountCode: '1', primaryAccountCodeName: '代表口座', accountName: '青空商事株式会社',
  accountNameKana: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ', currencyCode: 'JPY', currencyName: '日本円', transferLimitAmount: '10000000',
};
const timeDeposit = { accountId: '101111000771', accountTypeCode: '11', accountTypeName: '円定期預金', currencyCode: 'JPY', currencyName: '日本円' };
const fx = { accountId: '101511000995', accountTypeCode: '51', accountTypeName: '外貨普通預金', currencyCode: 'USD', currencyName: '米ドル' };

const yenBalance = { accountId: '101011000088', accountTypeCode: '01', accountTypeName: '普通預金（有利息）', balance: '53422816', ...when, withdrawableAmount: '53422816', previousDayBalance: '53000000', previousMonthBalance: '52000000', currencyCode: 'JPY', currencyName: '日本円' };
const tdBalance = { accountId: '101111000771', accountTypeCode: '11', accountTypeName: '円定期預金', balance: '20000000', ...when, currencyCode: 'JPY', currencyName: '日本円' };
const fxBalance = { accountId: '101511000995', accountTypeCode: '51', accountTypeName: '外貨普通預金', ...when, currencyCode: 'USD', currencyName: '米ドル', fcyTotalBalance: '49122.25', ttb: '154.32', baseRateDate: '2026-11-20', baseRateTime: '10:00:00+09:00', yenEquivalent: '7580546' };

const line = { transactionDate: '2026-11-20', valueDate: '2026-11-20', transactionType: '1', amount: '5000', remarks: 'ﾌﾘｺﾐ ｱｵｿﾞﾗ', balance: '53422816', itemKey: '1234' };
const statement = { accountId: '101011000088', currencyCode: 'JPY', currencyName: '日本円', dateFrom: '2026-11-01', dateTo: '2026-11-20', ...when, hasNext: true, nextItemKey: '1234', count: '1', transactions: [line] };

const accounts = (...list: object[]) => ({ accounts: list, ...when });
const balances = (...list: object[]) => ({ balances: list });
const without = <T extends object>(o: T, k: keyof T) => Object.fromEntries(Object.entries(o).filter(([x]) => x !== k));

const good: [GmoOperation, string, unknown][] = [
  ['accounts', '01, 11 and 51 accounts as GMO sends them', accounts(ordinary, timeDeposit, fx)],
  ['accounts', 'an empty list', accounts()],
  ['balances', '01, 11 and 51 balances as GMO sends them', balances(yenBalance, tdBalance, fxBalance)],
  ['transactions', 'a page with a next one', statement],
  ['transactions', 'the last page', { ...without(statement, 'nextItemKey'), hasNext: false }],
  ['error', 'an ErrorResponse', { errorCode: 'WG_ERR_100', errorMessage: 'パラメータが不正です。' }],
];
const bad: [GmoOperation, string, unknown][] = [
  ['accounts', 'a field GMO does not define', accounts({ ...ordinary, iban: 'x' })],
  ['accounts', 'branchCode on an 11 account', accounts({ ...timeDeposit, branchCode: '101' })],
  ['accounts', 'accountNumber on a 51 account', accounts({ ...fx, accountNumber: '1000995' })],
  ['accounts', 'primaryAccountCode on an 11 account', accounts({ ...timeDeposit, primaryAccountCode: '2', primaryAccountCodeName: '追加口座' })],
  ['accounts', 'an 01 account without accountNumber', accounts(without(ordinary, 'accountNumber'))],
  ['accounts', 'accountTypeName 普通預金 for 01', accounts({ ...ordinary, accountTypeName: '普通預金' })],
  ['accounts', 'primaryAccountCodeName not matching the code', accounts({ ...ordinary, primaryAccountCodeName: '追加口座' })],
  ['accounts', 'full-width kana in accountNameKana', accounts({ ...ordinary, accountNameKana: 'アオゾラ' })],
  ['accounts', 'baseTime without +09:00', { ...accounts(ordinary), baseTime: '10:15:00' }],
  ['balances', 'balance on a 51 account', balances({ ...fxBalance, balance: '49122.25' })],
  ['balances', 'a 51 balance without ttb', balances(without(fxBalance, 'ttb'))],
  ['balances', 'fcyTotalBalance on an 01 account', balances({ ...yenBalance, fcyTotalBalance: '100.00' })],
  ['balances', 'withdrawableAmount on an 11 account', balances({ ...tdBalance, withdrawableAmount: '0' })],
  ['balances', 'an 11 balance without balance', balances(without(tdBalance, 'balance'))],
  ['balances', 'a yen balance with decimals', balances({ ...yenBalance, balance: '100.50' })],
  ['balances', 'four decimals in fcyTotalBalance', balances({ ...fxBalance, fcyTotalBalance: '49122.2500' })],
  ['transactions', 'hasNext true without nextItemKey', without(statement, 'nextItemKey')],
  ['transactions', 'nextItemKey on the last page', { ...statement, hasNext: false }],
  ['transactions', 'hasNext as a string', { ...statement, hasNext: 'true' }],
  ['transactions', 'count as a number', { ...statement, count: 1 }],
  ['transactions', 'an empty remarks', { ...statement, transactions: [{ ...line, remarks: '' }] }],
  ['transactions', 'a dateFrom that is no date', { ...statement, dateFrom: '2026-02-30' }],
  ['error', 'an errorCode of 11 characters', { errorCode: 'invalid_par', errorMessage: 'x' }],
  ['error', 'a requestId in the body', { errorCode: 'E1', errorMessage: 'x', requestId: 'abc' }],
  ['error', 'no errorMessage', { errorCode: 'E1' }],
];

t.test('GMO-shaped bodies pass, in both APIs', async (t) => {
  for (const api of ['corporation', 'personal'] as const) {
    for (const [op, label, body] of good) {
      const ok = v[api][op](body);
      t.ok(ok, `${api} ${op}: ${label}`, ok ? {} : { errors: describeErrors(v[api][op]) });
    }
  }
});

t.test('each broken rule is caught', async (t) => {
  for (const api of ['corporation', 'personal'] as const) {
    for (const [op, label, body] of bad) t.notOk(v[api][op](body), `${api} ${op}: ${label} → invalid`);
  }
});

t.test('only the personal API may carry つかいわけ口座 (an empty list fits it)', async (t) => {
  t.ok(v.personal.accounts({ ...accounts(ordinary), spAccounts: [] }), 'personal: spAccounts []');
  t.notOk(v.corporation.accounts({ ...accounts(ordinary), spAccounts: [] }), 'corporation: no spAccounts');
});
