/**
 * A group's rights as seed 003 §3-1 lists them, and the rules between them (DESIGN §5).
 * Pure: used by the screens to explain a problem and by the services before anything is written;
 * the database constraints enforce the same rules once more.
 */
export interface AccountRights {
  /** accounts.id of a 円普通預金 account of the same customer */
  accountId: string;
  inquiry: boolean;
  operate: boolean;
  transfer: boolean;
  bulkTransfer: boolean;
}

export type Approval =
  | { authority: false }
  /** Limits per item, in yen (the screens take 万円 and multiply by 10,000). */
  | { authority: true; limitYen: number; selfLimitYen: number };

export interface OtherRights {
  importantOperations: boolean;
  securitySettings: boolean;
  userAdmin: boolean;
  accountTransferService: boolean;
  virtualAccountService: boolean;
  auditLogView: boolean;
  smartphoneApp: boolean;
  documentIssuance: boolean;
}

export interface GroupPermissions {
  accounts: AccountRights[];
  approval: Approval;
  timeDeposit: { inquiry: boolean; operate: boolean };
  fx: { inquiry: boolean; operate: boolean };
  other: OtherRights;
}

export interface Violation {
  field: string;
  message: { ja: string; en: string };
}

/** The largest limit the screens accept: 99,999,999 万円. */
export const MAX_APPROVAL_LIMIT_YEN = 999_999_990_000;

export const NO_OTHER_RIGHTS: OtherRights = {
  importantOperations: false, securitySettings: false, userAdmin: false, accountTransferService: false,
  virtualAccountService: false, auditLogView: false, smartphoneApp: false, documentIssuance: false,
};

/** Every broken rule, so a screen can show them all at once; empty when the set is consistent. */
export function validatePermissions(p: GroupPermissions): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const [i, a] of p.accounts.entries()) {
    const at = `accounts[${i}]`;
    if (seen.has(a.accountId)) out.push({ field: at, message: { ja: '同じ口座が重複しています。', en: 'The same account appears twice.' } });
    seen.add(a.accountId);
    if (a.operate && !a.inquiry) out.push({ field: `${at}.operate`, message: { ja: '「操作」には「照会」が必要です。', en: 'Operate requires Inquiry.' } });
    if (a.transfer && !a.operate) out.push({ field: `${at}.transfer`, message: { ja: '「振込・振替」には「操作」が必要です。', en: 'Transfers require Operate.' } });
    if (a.bulkTransfer && !a.operate) out.push({ field: `${at}.bulkTransfer`, message: { ja: '「総合振込」には「操作」が必要です。', en: 'Bulk transfers require Operate.' } });
  }
  if (p.approval.authority) {
    // Seed 003 §3-1 ※2: 権限4 (承認権限) can be set only where 権限3 (振込・振替 or 総合振込) is held on some account.
    if (!p.accounts.some((a) => a.transfer || a.bulkTransfer)) {
      out.push({
        field: 'approval.authority',
        message: {
          ja: '承認権限「あり」は、いずれかの口座に「振込・振替」または「総合振込」の権限がある場合のみ設定できます。',
          en: 'Approval authority can only be given to a group with Transfers or Bulk transfers on at least one account.',
        },
      });
    }
    const { limitYen, selfLimitYen } = p.approval;
    if (!Number.isSafeInteger(limitYen) || limitYen < 0 || limitYen > MAX_APPROVAL_LIMIT_YEN) {
      out.push({ field: 'approval.limitYen', message: { ja: '承認限度額が正しくありません。', en: 'The approval limit is invalid.' } });
    }
    if (!Number.isSafeInteger(selfLimitYen) || selfLimitYen < 0) {
      out.push({ field: 'approval.selfLimitYen', message: { ja: '自己承認限度額が正しくありません。', en: 'The self-approval limit is invalid.' } });
    } else if (selfLimitYen > limitYen) {
      out.push({ field: 'approval.selfLimitYen', message: { ja: '自己承認限度額は承認限度額以下にしてください。', en: 'The self-approval limit must not exceed the approval limit.' } });
    }
  }
  if (p.timeDeposit.operate && !p.timeDeposit.inquiry) {
    out.push({ field: 'timeDeposit.operate', message: { ja: '円定期預金の「操作」には「照会」が必要です。', en: 'Yen time deposits: Operate requires Inquiry.' } });
  }
  if (p.fx.operate && !p.fx.inquiry) {
    out.push({ field: 'fx.operate', message: { ja: '外貨普通預金の「操作」には「照会」が必要です。', en: 'Foreign currency deposits: Operate requires Inquiry.' } });
  }
  return out;
}
