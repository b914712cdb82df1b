import type { AccountTypeCode } from '../db/database.ts';
import { defineTexts } from '../shared/i18n.ts';

/** The names of the account types the bank shows for the API's codes (01 普通, 11 円定期, 51 外貨普通). */
export const ACCOUNT_TYPE_NAMES = defineTexts({
  '01': { ja: '普通', en: 'Ordinary' },
  '11': { ja: '円定期', en: 'Yen time deposit' },
  '51': { ja: '外貨普通', en: 'Foreign currency ordinary' },
} satisfies Record<AccountTypeCode, unknown>);

/**
 * An amount as the bank shows it: yen without decimals and with 円 in Japanese, other currencies with
 * their two decimals and ISO code. Amounts arrive as exact decimal strings and stay strings (no float).
 */
export function formatAmount(amount: string, currency: string, lang: 'ja' | 'en'): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = amount.replace(/^[-+]/, '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = negative ? '-' : '';
  if (currency === 'JPY') return lang === 'ja' ? `${sign}${grouped}円` : `${sign}¥${grouped}`;
  return `${sign}${grouped}.${fraction.padEnd(2, '0').slice(0, 2)} ${currency}`;
}
