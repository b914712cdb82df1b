import { jstParts } from '../shared/jst.ts';

/** The bank API's conventions (DESIGN §8, GMO Aozora's API): strings for numbers, JST dates and times. */

/** 科目名 as GMO Aozora spells them (swagger v1.1.12, accountTypeCode). */
export const ACCOUNT_TYPE_NAMES: Record<string, string> = {
  '01': '普通預金（有利息）', '02': '普通預金（決済用）', '11': '円定期預金', '51': '外貨普通預金', '81': '証券コネクト口座',
};

/**
 * GMO's per-科目 rules: branch, number, name, 代表口座, 振込限度額, 支払可能残高 and the previous
 * balances exist only for the ordinary yen accounts (01, 02), which alone have statements.
 */
export const isOrdinaryYen = (accountTypeCode: string) => accountTypeCode === '01' || accountTypeCode === '02';
/** 外貨普通預金: its balance is given in the currency with a yen equivalent at the bank's TTB. */
export const isForeignCurrency = (accountTypeCode: string) => accountTypeCode === '51';
const CURRENCY_NAMES: Record<string, string> = { JPY: '日本円', USD: '米ドル', EUR: 'ユーロ', GBP: '英ポンド', AUD: '豪ドル' };
/** ISO 4217 minor units of the currencies the bank holds. */
const MINOR_UNITS: Record<string, number> = { JPY: 0 };

export const currencyName = (code: string) => CURRENCY_NAMES[code] ?? code;

/** An exact decimal from the database, as the currency writes it: no decimals for yen, two for dollars. */
export function money(value: string, currency: string): string {
  const digits = MINOR_UNITS[currency] ?? 2;
  const negative = value.startsWith('-');
  const [int = '0', frac = ''] = (negative ? value.slice(1) : value).split('.');
  const out = digits === 0 ? int : `${int}.${frac.padEnd(digits, '0').slice(0, digits)}`;
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

/** `baseDate` and `baseTime` of a response: when the inquiry ran, in Japan time. */
export function baseDateTime(now = new Date()): { baseDate: string; baseTime: string } {
  const p = jstParts(now);
  return { baseDate: `${p.year}-${p.month}-${p.day}`, baseTime: `${p.hour}:${p.minute}:${p.second}+09:00` };
}

/** A rate from the database without trailing zeros (`149.500` → `149.5`): GMO allows up to 3 decimals. */
export function rate(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

export function firstDayOfMonth(date: string): string {
  return `${date.slice(0, 8)}01`;
}

/** A real calendar date in `YYYY-MM-DD` (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^(?!0000)\d{4}-\d{2}-\d{2}$/.test(value)) return false; // PostgreSQL has no year 0
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
