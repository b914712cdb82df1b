import type { ErrorDetail, TransferErrorDetail } from './transfer-errors.ts';

/**
 * GMO's `TransferRequest` (reference/bank-api.md §1.7), checked value by value so that a refusal names
 * the field and the item, as GMO's `TransferError` does. Every number arrives as a string (DESIGN §8).
 */
export interface TransferItemBody {
  itemId: string;
  transferAmount: string;
  ediInfo?: string | undefined;
  beneficiaryBankCode: string;
  beneficiaryBankName?: string | undefined;
  beneficiaryBranchCode: string;
  beneficiaryBranchName?: string | undefined;
  accountTypeCode: string;
  accountNumber: string;
  beneficiaryName: string;
}

export interface TransferRequestBody {
  accountId: string;
  remitterName?: string | undefined;
  transferDesignatedDate: string;
  transferDateHolidayCode?: string | undefined;
  totalCount?: string | undefined;
  totalAmount?: string | undefined;
  applyComment?: string | undefined;
  transfers: TransferItemBody[];
}

export interface CheckedItem {
  itemId: number;
  amount: bigint;
  ediInfo: string | null;
  beneficiaryBankCode: string;
  beneficiaryBranchCode: string;
  accountTypeCode: '1' | '2' | '4' | '9';
  accountNumber: string;
  beneficiaryName: string;
}

export interface CheckedRequest {
  accountPublicId: string;
  remitterName: string | undefined;
  designatedDate: string;
  holidayCode: '1' | '2' | '3';
  applyComment: string | null;
  items: CheckedItem[];
  totalAmount: bigint;
}

export type CheckResult =
  | { ok: true; request: CheckedRequest }
  | { ok: false; errorDetails: ErrorDetail[]; transferErrorDetails: TransferErrorDetail[] };

/** The most items one request carries (1 = 通常振込, 2–99 = 一括振込). */
const MAX_ITEMS = 99;
/** The largest amount GMO accepts for one transfer and for the total. */
const MAX_AMOUNT = 999_999_999_999n;
/** How far ahead a transfer may be designated (予約), in days. */
const MAX_DAYS_AHEAD = 30;
const MAX_APPLY_COMMENT = 20;
const MAX_NAME = 48;
const MAX_EDI = 20;

/**
 * 半角カナ as 全銀 accepts it in names: digits, capitals, half-width katakana (with ﾞ ﾟ), space and ( ) - . /
 * (GMO refuses anything else with 220001).
 */
const HALF_WIDTH_NAME = /^[0-9A-Z\uFF66-\uFF9F ()\-./]+$/;
const HALF_WIDTH_EDI = /^[0-9A-Za-z\uFF66-\uFF9F ()\-./]+$/;
const DIGITS = /^[0-9]+$/;

export const DETAIL = {
  format: '220001',
  totalCount: '220002',
  totalAmount: '220003',
  designatedDate: '220004',
  holidayCode: '220005',
  remitterName: '220006',
  applyComment: '220007',
  itemIds: '220008',
  amount: '221001',
  overTransferLimit: '221002',
  bankOrBranch: '221003',
  beneficiaryNotFound: '221004',
  beneficiaryName: '221005',
  accountType: '221006',
  accountNumber: '221007',
  ediInfo: '221008',
  sameAccount: '221009',
} as const;

const d = (code: string, message: string): ErrorDetail => ({ errorDetailsCode: code, errorDetailsMessage: message });

function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

function isCalendarDate(value: string): boolean {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value) || value.startsWith('0000')) return false;
  const t = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === value;
}

const str = (v: unknown): v is string => typeof v === 'string';

/** An amount of 1 to {@link MAX_AMOUNT} yen written in digits, or undefined. */
function amountOf(v: unknown): bigint | undefined {
  if (!str(v) || !DIGITS.test(v) || v.length > 12) return undefined;
  const n = BigInt(v);
  return n >= 1n && n <= MAX_AMOUNT ? n : undefined;
}

/**
 * Checks every field of a request against GMO's rules, with `today` the bank's date in Japan; collects
 * every problem (request level and per item) rather than stopping at the first.
 */
export function checkTransferRequest(body: TransferRequestBody, today: string): CheckResult {
  const errorDetails: ErrorDetail[] = [];
  const transferErrorDetails: TransferErrorDetail[] = [];
  const b = (body ?? {}) as Partial<TransferRequestBody>;

  if (!str(b.accountId) || !/^[0-9]{12}$/.test(b.accountId)) errorDetails.push(d(DETAIL.format, 'accountIdは12桁の数字で指定してください。'));

  let remitterName: string | undefined;
  if (b.remitterName !== undefined && b.remitterName !== '') {
    if (!str(b.remitterName) || b.remitterName.length > MAX_NAME || !HALF_WIDTH_NAME.test(b.remitterName)) {
      errorDetails.push(d(DETAIL.remitterName, `remitterName（振込依頼人名）は半角カナ${MAX_NAME}文字以内で指定してください。`));
    } else remitterName = b.remitterName;
  }

  const designatedDate = str(b.transferDesignatedDate) ? b.transferDesignatedDate : '';
  if (!isCalendarDate(designatedDate)) {
    errorDetails.push(d(DETAIL.designatedDate, 'transferDesignatedDate（振込指定日）はYYYY-MM-DD形式の日付で指定してください。'));
  } else if (designatedDate < today) {
    errorDetails.push(d(DETAIL.designatedDate, 'transferDesignatedDate（振込指定日）に過去の日付は指定できません。'));
  } else if (designatedDate > addDays(today, MAX_DAYS_AHEAD)) {
    errorDetails.push(d(DETAIL.designatedDate, `transferDesignatedDate（振込指定日）は${MAX_DAYS_AHEAD}日先までの日付を指定してください。`));
  }

  const holidayCode = b.transferDateHolidayCode === undefined || b.transferDateHolidayCode === '' ? '1' : b.transferDateHolidayCode;
  if (holidayCode !== '1' && holidayCode !== '2' && holidayCode !== '3') {
    errorDetails.push(d(DETAIL.holidayCode, 'transferDateHolidayCode（振込指定休日コード）は1、2、3のいずれかを指定してください。'));
  }

  let applyComment: string | null = null;
  if (b.applyComment !== undefined && b.applyComment !== '') {
    if (!str(b.applyComment) || [...b.applyComment].length > MAX_APPLY_COMMENT || /[\u0000-\u001f\u007f]/.test(b.applyComment)) {
      errorDetails.push(d(DETAIL.applyComment, `applyComment（申請コメント）は${MAX_APPLY_COMMENT}文字以内で指定してください。`));
    } else applyComment = b.applyComment;
  }

  const transfers = Array.isArray(b.transfers) ? b.transfers : [];
  if (transfers.length < 1 || transfers.length > MAX_ITEMS) {
    errorDetails.push(d(DETAIL.format, `transfers（振込明細）は1件以上${MAX_ITEMS}件以下で指定してください。`));
  }

  const items: CheckedItem[] = [];
  const ids: string[] = [];
  for (const [i, raw] of transfers.entries()) {
    const t = (raw ?? {}) as Partial<TransferItemBody>;
    const problems: ErrorDetail[] = [];
    const itemId = str(t.itemId) && /^[1-9][0-9]?$/.test(t.itemId) ? t.itemId : String(i + 1);
    ids.push(str(t.itemId) ? t.itemId : '');
    const amount = amountOf(t.transferAmount);
    if (amount === undefined) problems.push(d(DETAIL.amount, 'transferAmount（振込金額）は1以上999,999,999,999以下の整数で指定してください。'));
    let ediInfo: string | null = null;
    if (t.ediInfo !== undefined && t.ediInfo !== '') {
      if (!str(t.ediInfo) || t.ediInfo.length > MAX_EDI || !HALF_WIDTH_EDI.test(t.ediInfo)) {
        problems.push(d(DETAIL.ediInfo, `ediInfo（EDI情報）は半角${MAX_EDI}文字以内で指定してください。`));
      } else ediInfo = t.ediInfo;
    }
    if (!str(t.beneficiaryBankCode) || !/^[0-9]{4}$/.test(t.beneficiaryBankCode)) problems.push(d(DETAIL.bankOrBranch, 'beneficiaryBankCode（金融機関コード）は4桁の数字で指定してください。'));
    if (!str(t.beneficiaryBranchCode) || !/^[0-9]{3}$/.test(t.beneficiaryBranchCode)) problems.push(d(DETAIL.bankOrBranch, 'beneficiaryBranchCode（支店コード）は3桁の数字で指定してください。'));
    const type = t.accountTypeCode;
    if (type !== '1' && type !== '2' && type !== '4' && type !== '9') problems.push(d(DETAIL.accountType, 'accountTypeCode（預金種目）は1、2、4、9のいずれかを指定してください。'));
    if (!str(t.accountNumber) || !/^[0-9]{7}$/.test(t.accountNumber)) problems.push(d(DETAIL.accountNumber, 'accountNumber（口座番号）は7桁の数字（前ゼロ埋め）で指定してください。'));
    if (!str(t.beneficiaryName) || t.beneficiaryName.length < 1 || t.beneficiaryName.length > MAX_NAME || !HALF_WIDTH_NAME.test(t.beneficiaryName)) {
      problems.push(d(DETAIL.beneficiaryName, `beneficiaryName（受取人名）は半角カナ${MAX_NAME}文字以内で指定してください。`));
    }
    if (problems.length > 0) {
      transferErrorDetails.push({ itemId, errorDetails: problems });
      continue;
    }
    items.push({
      itemId: Number(itemId), amount: amount!, ediInfo, beneficiaryBankCode: t.beneficiaryBankCode!, beneficiaryBranchCode: t.beneficiaryBranchCode!,
      accountTypeCode: type as CheckedItem['accountTypeCode'], accountNumber: t.accountNumber!, beneficiaryName: t.beneficiaryName!,
    });
  }
  // itemId: 1, 2, … n in order (GMO: 1–99 sequential).
  if (transfers.length > 0 && ids.some((id, i) => id !== String(i + 1))) {
    errorDetails.push(d(DETAIL.itemIds, 'itemId（明細番号）は1から順に連番で指定してください。'));
  }

  const totalAmount = items.reduce((s, it) => s + it.amount, 0n);
  if (b.totalCount !== undefined && b.totalCount !== '') {
    if (!str(b.totalCount) || !DIGITS.test(b.totalCount) || Number(b.totalCount) !== transfers.length) {
      errorDetails.push(d(DETAIL.totalCount, 'totalCount（合計件数）が振込明細の件数と一致しません。'));
    }
  } else if (transfers.length > 1) {
    errorDetails.push(d(DETAIL.totalCount, 'totalCount（合計件数）は2件以上の振込では必須です。'));
  }
  if (b.totalAmount !== undefined && b.totalAmount !== '') {
    const given = amountOf(b.totalAmount);
    if (given === undefined || (transferErrorDetails.length === 0 && given !== totalAmount)) {
      errorDetails.push(d(DETAIL.totalAmount, 'totalAmount（合計金額）が振込金額の合計と一致しません。'));
    }
  } else if (transfers.length > 1) {
    errorDetails.push(d(DETAIL.totalAmount, 'totalAmount（合計金額）は2件以上の振込では必須です。'));
  }
  if (totalAmount > MAX_AMOUNT) errorDetails.push(d(DETAIL.totalAmount, 'totalAmount（合計金額）が上限を超えています。'));

  if (errorDetails.length > 0 || transferErrorDetails.length > 0) return { ok: false, errorDetails, transferErrorDetails };
  return {
    ok: true,
    request: {
      accountPublicId: b.accountId!, remitterName, designatedDate, holidayCode: holidayCode as '1' | '2' | '3', applyComment, items, totalAmount,
    },
  };
}
