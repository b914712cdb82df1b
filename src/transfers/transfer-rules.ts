/**
 * The pure rules of transfers (DESIGN §17, seed 003 §3-1): who may approve what, what a transfer costs,
 * and the shape checks of a GMO `TransferRequest`. No database here: the services read the facts and
 * these functions decide, so every combination can be tested exhaustively.
 */

export type ApprovalRefusal = 'no_approval_right' | 'over_approval_limit' | 'over_self_approval_limit' | 'no_transfer_right';

export interface Approver {
  role: 'master' | 'member';
  customerKind: 'individual' | 'corporate';
  /** 承認権限 あり/なし of the member's group. */
  approvalRight: boolean;
  /** 承認限度額 in yen (per transfer, or per 総合振込); null = not set (no 承認権限). */
  approvalLimit: bigint | null;
  /** 自己承認限度額 in yen, ≤ 承認限度額; null or 0 = may not approve their own applications. */
  selfApprovalLimit: bigint | null;
  /** 振込・振替 (or 総合振込 for a bulk transfer) on the application's debit account. */
  transferRightOnAccount: boolean;
}

export interface ApplicationForApproval {
  /** The approver requested it (through a partner holding their grant). */
  ownApplication: boolean;
  /**
   * What the limits compare with (seed 003: 限度額とは、振込等1件あたりの上限金額または総合振込1回あたりの合計金額の上限):
   * the largest item for 通常振込 / 一括振込, the total for a 総合振込 — see {@link amountForLimit}.
   */
  amountForLimit: bigint;
}

export type ApprovalDecision = { allowed: true } | { allowed: false; reason: ApprovalRefusal };

/**
 * Who may approve (承認) an application (DESIGN §17):
 * - the master user (取引責任者) and an individual customer's user approve anything, their own included;
 * - a member needs 振込・振替 on the debit account, 承認権限 あり and 承認限度額 ≥ the amount;
 * - for their own application also 自己承認限度額 ≥ the amount.
 * An amount equal to a limit is within it. When several rules fail, the first in this order is given:
 * transfer right, approval right, approval limit, self-approval limit.
 */
export function approvalDecision(approver: Approver, application: ApplicationForApproval): ApprovalDecision {
  if (approver.role === 'master' || approver.customerKind === 'individual') return { allowed: true };
  if (!approver.transferRightOnAccount) return { allowed: false, reason: 'no_transfer_right' };
  if (!approver.approvalRight) return { allowed: false, reason: 'no_approval_right' };
  if (application.amountForLimit > (approver.approvalLimit ?? 0n)) return { allowed: false, reason: 'over_approval_limit' };
  if (application.ownApplication && application.amountForLimit > (approver.selfApprovalLimit ?? 0n)) {
    return { allowed: false, reason: 'over_self_approval_limit' };
  }
  return { allowed: true };
}

/**
 * 差戻 (return to the requester): whoever could decide on applications of this account — the master, an
 * individual, or a member with 承認権限 and 振込・振替 on it — whatever the amount; never one's own
 * application (that is 取下げ).
 */
export function mayReturn(approver: Approver, ownApplication: boolean): boolean {
  if (ownApplication) return false;
  if (approver.role === 'master' || approver.customerKind === 'individual') return true;
  return approver.transferRightOnAccount && approver.approvalRight;
}

/** The amount the approval limits apply to: the total of a 総合振込, otherwise the largest single transfer. */
export function amountForLimit(kind: 'transfer' | 'bulk', itemAmounts: readonly bigint[]): bigint {
  if (kind === 'bulk') return itemAmounts.reduce((a, b) => a + b, 0n);
  return itemAmounts.reduce((a, b) => (b > a ? b : a), 0n);
}

/** The messages of the refusals, for screens and audit rows (ja / en). */
export const APPROVAL_REFUSAL_TEXTS: Record<ApprovalRefusal, { ja: string; en: string }> = {
  no_approval_right: { ja: '承認権限がありません。', en: 'You have no approval authority.' },
  over_approval_limit: { ja: '承認限度額を超えています。', en: 'The amount exceeds your approval limit.' },
  over_self_approval_limit: { ja: '自己承認限度額を超えています。', en: 'The amount exceeds your self-approval limit.' },
  no_transfer_right: { ja: 'この口座の振込・振替権限がありません。', en: 'You have no transfer right on this account.' },
};

// --- Fees ----------------------------------------------------------------------------------------

/**
 * 振込手数料 in yen, per transfer (GMO Aozora's published pricing for business accounts, simplified):
 * to an account of this bank free of charge; to another bank 145 yen below 30,000 yen and 245 yen from
 * 30,000 yen. The fee is debited with the transfer as a separate statement line.
 */
const FEE_OTHER_BANK_SMALL = 145n;
const FEE_OTHER_BANK_LARGE = 245n;
const FEE_LARGE_FROM = 30_000n;

export function transferFee(item: { beneficiaryBankCode: string; amount: bigint }, bankCode: string): bigint {
  if (item.beneficiaryBankCode === bankCode) return 0n;
  return item.amount < FEE_LARGE_FROM ? FEE_OTHER_BANK_SMALL : FEE_OTHER_BANK_LARGE;
}

// --- GMO status codes ----------------------------------------------------------------------------

/** transferStatus of GMO's TransferStatusResponse for each application status. */
export const TRANSFER_STATUS_CODES = {
  pending: '2',
  returned: '3',
  withdrawn: '4',
  expired: '5',
  scheduled: '11',
  executed: '20',
  failed: '40',
} as const;

export const TRANSFER_STATUS_NAMES: Record<keyof typeof TRANSFER_STATUS_CODES, { ja: string; en: string }> = {
  pending: { ja: '申請中', en: 'Awaiting approval' },
  returned: { ja: '差戻', en: 'Returned' },
  withdrawn: { ja: '取下げ', en: 'Withdrawn' },
  expired: { ja: '期限切れ', en: 'Expired' },
  scheduled: { ja: '予約中', en: 'Scheduled' },
  executed: { ja: '手続済', en: 'Completed' },
  failed: { ja: '手続不成立', en: 'Failed' },
};
