import { jstParts } from '../shared/jst.ts';

/** The bank API's conventions (DESIGN §8, GMO Aozora's API): strings for numbers, JST dates and times. */

export const ACCOUNT_TYPE_NAMES: Record<string, string> = { '01': '普通預金', '11': '円定期預金', '51': '外貨普通預金' };
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

export function firstDayOfMonth(date: string): string {
  return `${date.slice(0, 8)}01`;
}

/** A real calendar date in `YYYY-MM-DD` (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^(?!0000)\d{4}-\d{2}-\d{2}$/.test(value)) return false; // PostgreSQL has no year 0
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
