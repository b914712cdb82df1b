import { MAX_APPROVAL_LIMIT_YEN, NO_OTHER_RIGHTS, type GroupPermissions, type OtherRights } from '../../business-id/permissions.ts';
import { AppError } from '../../shared/errors.ts';
import type { Text } from '../../shared/i18n.ts';
import { ACCOUNT_RIGHT_FIELD, type GroupFormBody } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS, YEN_PER_MAN } from './business-id.texts.ts';
import type { FieldLabels } from './form-input.ts';

/** The group form (グループ新規登録 / グループ編集) as the screens fill it. */
export interface GroupInput {
  name: string;
  permissions: GroupPermissions;
}

/** その他 rights in the seed's order (seed 003 §3-1 rows 4–11). */
export const OTHER_RIGHT_KEYS = [
  'importantOperations', 'securitySettings', 'userAdmin', 'accountTransferService', 'virtualAccountService', 'auditLogView',
  'smartphoneApp', 'documentIssuance',
] as const satisfies readonly (keyof OtherRights)[];
/** Every その他 right has its label and choices on the screens. */
const OTHER_RIGHT_TEXTS: Record<keyof OtherRights, { label: Text; yes: Text; no: Text }> = BUSINESS_ID_TEXTS.otherRights;

const LIMIT_LABEL: Text = { ja: '承認限度額', en: 'The approval limit' };
const SELF_LIMIT_LABEL: Text = { ja: '自己承認限度額', en: 'The self-approval limit' };
const MAX_LIMIT_MAN = MAX_APPROVAL_LIMIT_YEN / YEN_PER_MAN;

/** The labels of the group form's fields, for a refusal of its input. */
export const GROUP_FORM_LABELS: FieldLabels = (field) => {
  const f = BUSINESS_ID_TEXTS.groupForm;
  if (ACCOUNT_RIGHT_FIELD.test(field)) return f.ordinaryDeposits;
  const other = OTHER_RIGHT_KEYS.find((k) => k === field);
  if (other) return OTHER_RIGHT_TEXTS[other].label;
  const labels: Record<string, Text> = {
    name: f.name, approval: f.approvalAuthority, approvalLimitMan: f.approvalLimit, selfApprovalLimitMan: f.selfApprovalLimit,
    timeDepositInquiry: f.timeDeposits, timeDepositOperate: f.timeDeposits, fxInquiry: f.fx, fxOperate: f.fx, groupId: f.name,
  };
  return labels[field];
};

export function emptyGroup(): GroupInput {
  return {
    name: '',
    permissions: {
      accounts: [], approval: { authority: false }, timeDeposit: { inquiry: false, operate: false },
      fx: { inquiry: false, operate: false }, other: { ...NO_OTHER_RIGHTS },
    },
  };
}

/** Seed 003 §3-1: limits are entered in 万円 (whole numbers, digit grouping allowed), kept in yen. */
function parseManYen(raw: string, label: Text): number {
  const s = raw.replace(/[,，\s]/g, '');
  if (!/^[0-9]+$/.test(s) || Number(s) > MAX_LIMIT_MAN) {
    const max = MAX_LIMIT_MAN.toLocaleString('en-US');
    throw new AppError(400, 'invalid_parameter', {
      message: { ja: `${label.ja}は0〜${max}の整数（万円）で入力してください。`, en: `${label.en} must be a whole number of 10,000 yen units from 0 to ${max}.` },
    });
  }
  return Number(s) * YEN_PER_MAN;
}

/**
 * The group form → name and permission set. Rights on accounts other than `accountIds` (the customer's
 * 円普通預金) are ignored; no rule is checked here (the domain does, and names the rule broken).
 */
export function readGroupForm(body: GroupFormBody, accountIds: string[]): GroupInput {
  const ticked = new Set(Object.entries(body).filter(([, v]) => v === 'on').map(([k]) => k));
  const on = (field: string) => ticked.has(field);
  const other = { ...NO_OTHER_RIGHTS };
  for (const key of OTHER_RIGHT_KEYS) other[key] = body[key] === 'yes';
  return {
    name: body.name.trim(),
    permissions: {
      accounts: accountIds
        .map((id) => ({ accountId: id, inquiry: on(`a_${id}_inquiry`), operate: on(`a_${id}_operate`), transfer: on(`a_${id}_transfer`), bulkTransfer: on(`a_${id}_bulk`) }))
        .filter((a) => a.inquiry || a.operate || a.transfer || a.bulkTransfer),
      approval: body.approval === 'yes'
        ? { authority: true, limitYen: parseManYen(body.approvalLimitMan, LIMIT_LABEL), selfLimitYen: parseManYen(body.selfApprovalLimitMan, SELF_LIMIT_LABEL) }
        : { authority: false },
      timeDeposit: { inquiry: body.timeDepositInquiry === 'on', operate: body.timeDepositOperate === 'on' },
      fx: { inquiry: body.fxInquiry === 'on', operate: body.fxOperate === 'on' },
      other,
    },
  };
}
