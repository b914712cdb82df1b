import type { Db } from '../db/transaction.ts';
import { accessibleAccounts, inListOrder, type GrantContext } from './account-access.repository.ts';
import { ACCOUNT_TYPE_NAMES, baseDateTime, currencyName, money } from './format.ts';

/** One entry of 口座一覧照会 (DESIGN §8). */
export interface AccountEntry {
  accountId: string;
  branchCode: string;
  branchName: string;
  accountTypeCode: string;
  accountTypeName: string;
  accountNumber: string;
  primaryAccountCode: '1' | '2';
  primaryAccountCodeName: string;
  accountName: string;
  accountNameKana: string;
  currencyCode: string;
  currencyName: string;
  transferLimitAmount?: string;
}

export interface AccountList {
  accounts: AccountEntry[];
  baseDate: string;
  baseTime: string;
}

/** 口座一覧照会: the accounts the grant lets its client read now, in list order. */
export async function listAccounts(db: Db, grant: GrantContext, now = new Date()): Promise<AccountList> {
  const rows = await accessibleAccounts(db, grant)
    .$call(inListOrder)
    .select(['a.public_id', 'a.branch_code', 'a.branch_name', 'a.account_type_code', 'a.account_number', 'a.is_primary',
      'a.account_name', 'a.account_name_kana', 'a.currency', 'a.transfer_limit_amount'])
    .execute();
  return {
    accounts: rows.map((a) => ({
      accountId: a.public_id,
      branchCode: a.branch_code,
      branchName: a.branch_name,
      accountTypeCode: a.account_type_code,
      accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]!,
      accountNumber: a.account_number,
      primaryAccountCode: a.is_primary ? '1' : '2',
      primaryAccountCodeName: a.is_primary ? '代表口座' : '追加口座',
      accountName: a.account_name,
      accountNameKana: a.account_name_kana,
      currencyCode: a.currency,
      currencyName: currencyName(a.currency),
      ...(a.transfer_limit_amount === null ? {} : { transferLimitAmount: money(a.transfer_limit_amount, a.currency) }),
    })),
    ...baseDateTime(now),
  };
}
