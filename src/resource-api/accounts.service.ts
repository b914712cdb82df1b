import type { Db } from '../db/transaction.ts';
import type { GrantContext } from '../business-id/grant-check.repository.ts';
import { accessibleAccounts, inListOrder } from './account-access.repository.ts';
import { ACCOUNT_TYPE_NAMES, baseDateTime, currencyName, isOrdinaryYen, money } from './format.ts';

/** What GMO gives only for ordinary yen accounts (01, 02); other 科目 omit these fields. */
interface OrdinaryAccountFields {
  branchCode: string;
  branchName: string;
  accountNumber: string;
  primaryAccountCode: '1' | '2';
  primaryAccountCodeName: string;
  accountName: string;
  accountNameKana: string;
  transferLimitAmount?: string;
}

/** One entry of 口座一覧照会 (DESIGN §8). */
export type AccountEntry = {
  accountId: string;
  accountTypeCode: string;
  accountTypeName: string;
  currencyCode: string;
  currencyName: string;
} & Partial<OrdinaryAccountFields>;

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
    accounts: rows.map((a): AccountEntry => {
      const common = {
        accountId: a.public_id,
        accountTypeCode: a.account_type_code,
        accountTypeName: ACCOUNT_TYPE_NAMES[a.account_type_code]!,
        currencyCode: a.currency,
        currencyName: currencyName(a.currency),
      };
      if (!isOrdinaryYen(a.account_type_code)) return common;
      // Field order as in GMO's Account definition.
      return {
        accountId: common.accountId,
        branchCode: a.branch_code,
        branchName: a.branch_name,
        accountTypeCode: common.accountTypeCode,
        accountTypeName: common.accountTypeName,
        accountNumber: a.account_number,
        primaryAccountCode: a.is_primary ? '1' : '2',
        primaryAccountCodeName: a.is_primary ? '代表口座' : '追加口座',
        accountName: a.account_name,
        accountNameKana: a.account_name_kana,
        currencyCode: common.currencyCode,
        currencyName: common.currencyName,
        ...(a.transfer_limit_amount === null ? {} : { transferLimitAmount: money(a.transfer_limit_amount, a.currency) }),
      };
    }),
    ...baseDateTime(now),
  };
}
