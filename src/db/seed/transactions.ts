/**
 * Demo statement lines (DESIGN §9: "about 90 days of deterministic transactions"). A pure function of
 * (account number, profile, opened_on, today): no clock, no Math.random. Each day draws from its own
 * PRNG seeded from the account number and the date, so a given day looks the same whatever `today`
 * is; only the window moves.
 *
 * Amounts are kept in minor units (yen, or cents for USD) as integers and printed as decimal strings
 * only at the end, so running balances are exact.
 */

export type StatementProfile = 'corporate-main' | 'corporate-sub' | 'individual' | 'fx-usd' | 'time-deposit';

export interface StatementInput {
  accountNumber: string;
  profile: StatementProfile;
  /** YYYY-MM-DD; no line lies before it. */
  openedOn: string;
  /** YYYY-MM-DD in JST; the last day of the window. */
  today: string;
}

export interface StatementLine {
  /** YYYYMMDD * 10000 + sequence within the day (1-based), as a string: strictly increasing. */
  itemKey: string;
  transactionDate: string;
  valueDate: string;
  /** 1 入金 (credit), 2 出金 (debit) */
  transactionType: 1 | 2;
  /** Positive decimal string: whole yen, or USD with two decimals. */
  amount: string;
  balanceAfter: string;
  remarks: string;
}

/** Days in the window, today included. */
export const STATEMENT_DAYS = 90;

// --- dates: YYYY-MM-DD strings handled as UTC midnights, so no time zone can shift a day ---------

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function toMs(date: string): number {
  const m = DATE_RE.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  }
  return ms;
}
const fromMs = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const addDays = (date: string, n: number): string => fromMs(toMs(date) + n * DAY_MS);
const weekday = (date: string): number => new Date(toMs(date)).getUTCDay();
const isWeekend = (date: string): boolean => weekday(date) === 0 || weekday(date) === 6;
const dayOfMonth = (date: string): number => Number(date.slice(8, 10));
const ymd = (y: number, m: number, d: number): string => fromMs(Date.UTC(y, m - 1, d));

/** Scheduled day of month d, moved to the previous (salaries) or next (debits) weekday. Holidays ignored. */
function businessDay(y: number, m: number, d: number, roll: 'back' | 'forward'): string {
  let date = ymd(y, m, Math.min(d, dayOfMonth(ymd(y, m + 1, 0))));
  while (isWeekend(date)) date = addDays(date, roll === 'back' ? -1 : 1);
  return date;
}
const lastBusinessDay = (y: number, m: number): string => businessDay(y, m, 31, 'back');

// --- PRNG -------------------------------------------------------------------------------------

/** FNV-1a, 32 bit: turns "account:date" into a PRNG seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: tiny, fast, good enough for demo data, identical on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: string) {
    this.next = mulberry32(fnv1a(seed));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Integer in [min, max] rounded down to a multiple of step. */
  step(min: number, max: number, step: number): number {
    return Math.max(min, Math.floor(this.int(min, max) / step) * step);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

// --- events -----------------------------------------------------------------------------------

interface Entry {
  type: 1 | 2;
  /** Minor units, or computed from the balance at booking time (interest). */
  amount: number | ((balance: number) => number);
  remarks: string;
  /** Days before the transaction date (a card payment posted the day after the purchase). */
  valueLag?: number;
}
/** Entries booked together or not at all: a transfer and its fee. */
type Bundle = Entry[];

const credit = (amount: number, remarks: string): Entry => ({ type: 1, amount, remarks });
const debit = (amount: number, remarks: string, valueLag = 0): Entry => ({ type: 2, amount, remarks, valueLag });
/** An outgoing transfer to another bank, followed by its fee (GMO Aozora's 145 yen). */
const transferOut = (amount: number, payee: string): Bundle => [debit(amount, `振込 ${payee}`), debit(145, '振込手数料')];

// Fictional counterparties, written as Zengin transfers carry them (half-width, no small kana).
const CUSTOMERS = ['ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ', 'ｶ)ｻｸﾗｼﾖｳｶｲ', 'ﾕ)ﾐﾄﾞﾘﾃﾞﾝｷ', 'ｶ)ﾀｶﾊｼﾌﾞﾂﾘﾕｳ', 'ｶ)ﾎｸﾄｼｽﾃﾑｽﾞ', 'ｶ)ﾊﾔｼﾔｼﾖｸﾋﾝ', 'ﾏﾙｲﾁｺｳｷﾞﾖｳ(ｶ'] as const;
const VENDORS = ['ｶ)ｱｵﾊﾞｵﾌｲｽｻﾌﾟﾗｲ', 'ｶ)ｺﾊﾞﾔｼｳﾝﾕ', 'ｶ)ﾆｼｶﾜｲﾝｻﾂ', 'ｺﾞｳ)ｽｽﾞｷｺｳｹﾞｲ', 'ｶ)ﾋｶﾘﾈﾂﾄﾜｰｸｽ'] as const;
const CORPORATE_CARD = ['AOBA OFFICE', 'CLOUDHOST', 'SKY AIRLINES', 'HOTEL SAKURA', 'MIDORI TAXI'] as const;
const HOUSEHOLD_CARD = ['MIDORI MART', 'CAFE SORA', 'ONLINE BOOKS', 'DRUG AOI', 'KOMORE BAKERY', 'SORA RAILWAY'] as const;

interface DayContext {
  date: string;
  rng: Rng;
  weekend: boolean;
  /** The date is this month's scheduled day for the named item. */
  is: (item: ScheduledItem) => boolean;
}

type ScheduledItem = 'salary' | 'tax' | 'electricity' | 'gas' | 'phone' | 'lease' | 'rent' | 'monthEnd' | 'gotobi';

/** When each monthly item falls in month (y, m): salaries before the 25th, debits after their day. */
function schedule(y: number, m: number): Record<ScheduledItem, string[]> {
  return {
    salary: [businessDay(y, m, 25, 'back')],
    tax: [businessDay(y, m, 10, 'forward')],
    electricity: [businessDay(y, m, 26, 'forward')],
    gas: [businessDay(y, m, 27, 'forward')],
    phone: [businessDay(y, m, 28, 'forward')],
    lease: [businessDay(y, m, 27, 'forward')],
    rent: [businessDay(y, m, 27, 'back')],
    monthEnd: [lastBusinessDay(y, m)],
    // 五十日 (5th, 10th, ... 25th): when Japanese companies settle invoices.
    gotobi: [5, 10, 15, 20, 25].map((d) => businessDay(y, m, d, 'back')),
  };
}

function corporateDay(c: DayContext, scale: number, payroll: boolean): Bundle[] {
  const { rng } = c;
  const out: Bundle[] = [];
  const yen = (min: number, max: number, step = 1) => Math.max(step, Math.round((rng.step(min, max, step) * scale) / step) * step);
  if (payroll && c.is('salary')) {
    const staff = 28;
    out.push([debit(rng.step(8_200_000, 8_700_000, 1), '給与振込'), debit(145 * staff, '振込手数料')]);
  }
  if (payroll && c.is('tax')) out.push([debit(rng.step(380_000, 420_000, 100), '税金 源泉所得税')]);
  if (payroll && c.is('monthEnd')) out.push([debit(rng.step(1_150_000, 1_250_000, 1), '口座振替 社会保険料')]);
  if (c.is('electricity')) out.push([debit(yen(60_000, 140_000), '口座振替 電気料金')]);
  if (c.is('phone')) out.push([debit(yen(25_000, 40_000), '口座振替 電話料金')]);
  if (c.is('lease')) out.push([debit(yen(88_000, 88_000), '口座振替 ﾘｰｽﾘﾖｳ')]);
  if (c.weekend) {
    // Zengin runs around the clock now, so the odd payment still arrives on a weekend.
    if (rng.chance(0.1)) out.push([credit(yen(50_000, 600_000), `振込 ${rng.pick(CUSTOMERS)}`)]);
    if (rng.chance(0.15)) out.push([debit(yen(2_000, 40_000), `Visaデビット ${rng.pick(CORPORATE_CARD)}`, 1)]);
    return out;
  }
  let receipts = (rng.chance(0.35) ? 1 : 0) + (c.is('gotobi') ? rng.int(1, 3) : 0) + (c.is('monthEnd') ? rng.int(3, 5) : 0);
  while (receipts-- > 0) out.push([credit(Math.round(yen(50_000, 1_800_000, 1_000) * 1.1), `振込 ${rng.pick(CUSTOMERS)}`)]);
  if (c.is('gotobi') || c.is('monthEnd')) {
    for (let n = rng.int(1, 2); n > 0; n--) out.push(transferOut(Math.round(yen(30_000, 2_000_000, 1_000) * 1.1), rng.pick(VENDORS)));
  }
  if (rng.chance(0.3)) out.push([debit(yen(2_000, 80_000), `Visaデビット ${rng.pick(CORPORATE_CARD)}`, rng.chance(0.3) ? 1 : 0)]);
  if (rng.chance(0.08)) out.push([debit(rng.step(30_000, 100_000, 10_000), 'ATM出金')]);
  if (rng.chance(0.04)) out.push([credit(rng.step(10_000, 200_000, 1_000), 'ATM入金')]);
  return out;
}

function individualDay(c: DayContext): Bundle[] {
  const { rng } = c;
  const out: Bundle[] = [];
  if (c.is('salary')) out.push([credit(rng.step(286_000, 312_000, 1), '給与 ｶ)ﾐﾗｲｿｳｺﾞｳｹﾝｷﾕｳｼﾖ')]);
  if (c.is('electricity')) out.push([debit(rng.int(5_800, 11_900), '口座振替 電気')]);
  if (c.is('gas')) out.push([debit(rng.int(2_900, 6_800), '口座振替 ガス')]);
  if (c.is('phone')) out.push([debit(rng.int(3_800, 8_900), '口座振替 携帯')]);
  if (c.is('rent')) out.push(transferOut(84_000, 'ｶ)ｱｵｿﾞﾗﾌﾄﾞｳｻﾝ'));
  for (let n = rng.chance(c.weekend ? 0.7 : 0.45) ? rng.int(1, 2) : 0; n > 0; n--) {
    out.push([debit(rng.int(300, 9_000), `Visaデビット ${rng.pick(HOUSEHOLD_CARD)}`, rng.chance(0.25) ? 1 : 0)]);
  }
  if (rng.chance(c.weekend ? 0.2 : 0.1)) out.push([debit(rng.step(10_000, 50_000, 10_000), 'ATM出金')]);
  if (!c.weekend && rng.chance(0.03)) out.push([credit(rng.step(5_000, 30_000, 1_000), '振込 ｱｵｿﾞﾗ ﾀﾛｳ')]);
  return out;
}

function usdDay(c: DayContext): Bundle[] {
  const { rng } = c;
  const out: Bundle[] = [];
  if (!c.weekend) {
    if (rng.chance(0.04)) out.push([credit(rng.int(100_000, 1_000_000), '外貨預入')]);
    if (rng.chance(0.025)) out.push([credit(rng.int(120_000, 1_500_000), '被仕向送金 WESTCOAST TRADING INC')]);
    if (rng.chance(0.05)) out.push([debit(rng.int(50_000, 800_000), '外国送金 PACIFIC SUPPLY LLC')]);
  }
  // Month-end interest at 0.10 % a year, net of the 20.315 % withholding tax, at least one cent.
  if (c.date === ymd(Number(c.date.slice(0, 4)), Number(c.date.slice(5, 7)) + 1, 0)) {
    out.push([{ type: 1, amount: (balance) => Math.max(1, Math.floor((balance * 0.001 * 0.79685) / 12)), remarks: '利息' }]);
  }
  return out;
}

// --- the statement ----------------------------------------------------------------------------

interface ProfileSpec {
  /** Carried-forward balance before the first line of the window, minor units. */
  opening: [number, number];
  day: (c: DayContext) => Bundle[];
}

const PROFILES: Record<Exclude<StatementProfile, 'time-deposit'>, ProfileSpec> = {
  'corporate-main': { opening: [42_000_000, 58_000_000], day: (c) => corporateDay(c, 1, true) },
  'corporate-sub': { opening: [3_000_000, 5_000_000], day: (c) => corporateDay(c, 0.12, false) },
  individual: { opening: [380_000, 520_000], day: individualDay },
  'fx-usd': { opening: [1_800_000, 3_000_000], day: usdDay },
};

const decimals = (profile: StatementProfile): number => (profile === 'fx-usd' ? 2 : 0);

function format(minor: number, places: number): string {
  if (places === 0) return String(minor);
  const s = String(Math.abs(minor)).padStart(places + 1, '0');
  return `${minor < 0 ? '-' : ''}${s.slice(0, -places)}.${s.slice(-places)}`;
}

/**
 * The statement of one account for the STATEMENT_DAYS ending on `today`, in booking order.
 * The first line's balance_after implies a carried-forward balance (the history before the window
 * is not stored); a debit that would overdraw the account is skipped, so no balance goes negative.
 * A time deposit has a single 預入 line on its opening day, which may lie before the window.
 */
export function generateStatement(input: StatementInput): StatementLine[] {
  const { accountNumber, profile, openedOn, today } = input;
  toMs(openedOn);
  toMs(today);
  if (openedOn > today) return [];
  const places = decimals(profile);
  const lines: StatementLine[] = [];
  let balance = 0;
  let lastDate = '';
  let seq = 0;
  const book = (date: string, e: Entry): void => {
    const amount = typeof e.amount === 'function' ? e.amount(balance) : e.amount;
    balance += e.type === 1 ? amount : -amount;
    seq = date === lastDate ? seq + 1 : 1;
    lastDate = date;
    if (seq > 9999) throw new RangeError(`more than 9999 lines on ${date}`);
    lines.push({
      itemKey: `${date.replaceAll('-', '')}${String(seq).padStart(4, '0')}`,
      transactionDate: date,
      valueDate: e.valueLag ? maxDate(openedOn, addDays(date, -e.valueLag)) : date,
      transactionType: e.type,
      amount: format(amount, places),
      balanceAfter: format(balance, places),
      remarks: e.remarks,
    });
  };

  if (profile === 'time-deposit') {
    const rng = new Rng(`${accountNumber}:${openedOn}`);
    book(openedOn, credit(rng.pick([5_000_000, 10_000_000, 20_000_000]), '預入'));
    return lines;
  }

  const spec = PROFILES[profile];
  const windowStart = addDays(today, -(STATEMENT_DAYS - 1));
  const start = maxDate(windowStart, openedOn);
  const opening = new Rng(`${accountNumber}:opening`).int(...spec.opening);
  // An account opened inside the window starts from zero with its opening deposit as the first line.
  if (start === openedOn) book(start, credit(opening, '預入'));
  else balance = opening;

  const schedules = new Map<string, Record<ScheduledItem, string[]>>();
  const scheduleFor = (date: string) => {
    const key = date.slice(0, 7);
    let s = schedules.get(key);
    if (!s) schedules.set(key, (s = schedule(Number(date.slice(0, 4)), Number(date.slice(5, 7)))));
    return s;
  };
  for (let date = start; date <= today; date = addDays(date, 1)) {
    // A debit rolled forward may land in the next month, so look at last month's schedule too.
    const prev = scheduleFor(addDays(ymd(Number(date.slice(0, 4)), Number(date.slice(5, 7)), 1), -1));
    const cur = scheduleFor(date);
    const ctx: DayContext = {
      date,
      rng: new Rng(`${accountNumber}:${date}`),
      weekend: isWeekend(date),
      is: (item) => cur[item].includes(date) || prev[item].includes(date),
    };
    for (const bundle of spec.day(ctx)) {
      const out = bundle.reduce((sum, e) => sum + (e.type === 2 && typeof e.amount === 'number' ? e.amount : 0), 0);
      if (balance - out < 0) continue;
      for (const e of bundle) book(date, e);
    }
  }
  return lines;
}

const maxDate = (a: string, b: string): string => (a > b ? a : b);
