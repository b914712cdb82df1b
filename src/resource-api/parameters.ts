import { invalidParameter } from '../shared/errors.ts';

/** 口座ID: 支店番号3桁 + 科目コード2桁 + 口座番号7桁 (DESIGN §8). */
export const ACCOUNT_ID_DIGITS = 12;
const ACCOUNT_ID = new RegExp(`^\\d{${ACCOUNT_ID_DIGITS}}$`);

/**
 * The `accountId` query parameter of 残高照会 and 入出金明細照会. The route schemas accept it loosely
 * by type; the services check it here so the answer names the rule (`invalid_parameter`).
 */
export function checkAccountId(value: string): string {
  if (!ACCOUNT_ID.test(value)) {
    throw invalidParameter({ ja: `accountIdは${ACCOUNT_ID_DIGITS}桁の数字で指定してください。`, en: `accountId must be ${ACCOUNT_ID_DIGITS} digits.` });
  }
  return value;
}
