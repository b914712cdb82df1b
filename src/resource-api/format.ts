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
  const abs = negative ? value.slice(1) : value;
  // Sliced rather than split: two amounts on each of a page's 500 lines, without the garbage of arrays.
  const dot = abs.indexOf('.');
  const int = dot < 0 ? abs : abs.slice(0, dot);
  let out = int;
  if (digits > 0) {
    const end = dot < 0 ? -1 : abs.indexOf('.', dot + 1);
    const frac = dot < 0 ? '' : abs.slice(dot + 1, end < 0 ? undefined : end);
    out = `${int}.${frac.padEnd(digits, '0').slice(0, digits)}`;
  }
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

let lastBase: { second: number; value: Readonly<{ baseDate: string; baseTime: string }> } | undefined;

/**
 * `baseDate` and `baseTime` of a response: when the inquiry ran, in Japan time. The last second's
 * answer is kept: every call asks, and formatting through Intl cost ~20 µs of each.
 */
export function baseDateTime(now = new Date()): Readonly<{ baseDate: string; baseTime: string }> {
  const second = Math.floor(now.getTime() / 1000);
  if (lastBase?.second === second) return lastBase.value;
  const p = jstParts(now);
  const value = Object.freeze({ baseDate: `${p.year}-${p.month}-${p.day}`, baseTime: `${p.hour}:${p.minute}:${p.second}+09:00` });
  lastBase = { second, value };
  return value;
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
