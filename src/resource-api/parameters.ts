import { invalidParameter } from '../shared/errors.ts';
import { defineTexts } from '../shared/i18n.ts';
import { isOrdinaryYen } from './format.ts';

/** 口座ID: 支店番号3桁 + 科目コード2桁 + 口座番号7桁 (DESIGN §8). */
export const ACCOUNT_ID_DIGITS = 12;
const ACCOUNT_ID = new RegExp(`^\\d{${ACCOUNT_ID_DIGITS}}$`);

const MESSAGES = defineTexts({
  accountId: { ja: `accountIdは${ACCOUNT_ID_DIGITS}桁の数字で指定してください。`, en: `accountId must be ${ACCOUNT_ID_DIGITS} digits.` },
  statementType: {
    ja: '入出金明細照会は普通預金（科目コード01・02）の口座のみ指定できます。',
    en: 'Statements are available for ordinary yen accounts (account type 01 or 02) only.',
  },
});

/**
 * The `accountId` query parameter of 残高照会 and 入出金明細照会. The route schemas accept it loosely
 * by type; the services check it here so the answer names the rule (`invalid_parameter`).
 */
export function checkAccountId(value: string): string {
  if (!ACCOUNT_ID.test(value)) throw invalidParameter(MESSAGES.accountId);
  return value;
}

/**
 * 入出金明細照会 accepts only ordinary yen accounts (GMO: 「科目コードが以下の場合のみ受け付けます
 * ・01・02」). The 科目 is part of the identifier, so this is a rule on the parameter, checked before
 * any access check and telling nothing about the account.
 */
export function checkStatementAccountId(value: string): string {
  const accountId = checkAccountId(value);
  if (!isOrdinaryYen(accountId.slice(3, 5))) throw invalidParameter(MESSAGES.statementType);
  return accountId;
}
