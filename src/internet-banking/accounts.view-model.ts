import { accountBalances } from '../accounts/accounts.repository.ts';
import { ACCOUNT_TYPE_NAMES, formatAmount } from '../accounts/account-types.ts';
import { visibleAccounts, type VisibleAccount } from '../business-id/account-access.ts';
import type { Db } from '../db/transaction.ts';
import { defineTexts, translate, type Lang } from '../shared/i18n.ts';

/** The texts of ホーム, 残高照会 and 入出金明細. */
export const ACCOUNTS_TEXTS = defineTexts({
  title: { ja: 'ホーム', en: 'Home' },
  previousLogin: { ja: '前回ログイン', en: 'Previous login' },
  accounts: { ja: '口座', en: 'Accounts' },
  noAccounts: { ja: '照会できる口座はありません。', en: 'There are no accounts you may view.' },
  branch: { ja: '支店名', en: 'Branch' },
  accountType: { ja: '科目', en: 'Type' },
  accountNumber: { ja: '口座番号', en: 'Account number' },
  currency: { ja: '通貨', en: 'Currency' },
  balance: { ja: '残高', en: 'Balance' },
  withdrawable: { ja: '支払可能残高', en: 'Available' },
  primary: { ja: '（代表口座）', en: ' (primary)' },
  balanceTitle: { ja: '残高照会', en: 'Balance' },
  statementTitle: { ja: '入出金明細', en: 'Statement' },
  date: { ja: '取引日', en: 'Date' },
  valueDate: { ja: '起算日', en: 'Value date' },
  remarks: { ja: '摘要', en: 'Description' },
  deposit: { ja: '入金', en: 'Deposit' },
  withdrawal: { ja: '出金', en: 'Withdrawal' },
  balanceAfter: { ja: '残高', en: 'Balance' },
  noTransactions: { ja: '表示できる明細はありません。', en: 'No transactions to show.' },
  older: { ja: '次へ（過去の明細）', en: 'Older' },
  newest: { ja: '最新の明細へ', en: 'Newest' },
  toHome: { ja: 'ホームへ', en: 'Home' },
  asOf: { ja: '照会日時', en: 'As of' },
  procedures: { ja: '各種お手続き', en: 'Settings' },
  history: { ja: '履歴', en: 'History' },
});

export interface AccountLine {
  publicId: string;
  branch: string;
  typeName: string;
  accountNumber: string;
  isPrimary: boolean;
  currency: string;
  balance: string;
  withdrawable: string;
}

/** An account as a screen shows it: type name, branch, the amounts formatted in its currency. */
function lineOf(a: VisibleAccount, amounts: { balance: string; withdrawable: string } | undefined, lang: Lang): AccountLine {
  return {
    publicId: a.publicId, branch: `${a.branchName}（${a.branchCode}）`, typeName: translate(ACCOUNT_TYPE_NAMES, lang)[a.accountTypeCode],
    accountNumber: a.accountNumber, isPrimary: a.isPrimary, currency: a.currency,
    balance: formatAmount(amounts?.balance ?? '0', a.currency, lang), withdrawable: formatAmount(amounts?.withdrawable ?? '0', a.currency, lang),
  };
}

/** The accounts this user may see (the API's 照会 rule, `visibleAccounts`), with their balances. */
export async function accountLines(db: Db, userId: string, lang: Lang): Promise<AccountLine[]> {
  const accounts = await visibleAccounts(db, userId);
  const amounts = await accountBalances(db, accounts.map((a) => a.id));
  return accounts.map((a) => lineOf(a, amounts.get(a.id), lang));
}

/** One account the user may see, by its public id, with its balance; undefined when they may not see it. */
export async function visibleAccountLine(db: Db, userId: string, publicId: string, lang: Lang) {
  const account = (await visibleAccounts(db, userId)).find((a) => a.publicId === publicId);
  if (!account) return undefined;
  const amounts = await accountBalances(db, [account.id]);
  return { id: account.id, line: lineOf(account, amounts.get(account.id), lang) };
}
