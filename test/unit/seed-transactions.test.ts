import t from 'tap';
import { addDays, generateStatement, STATEMENT_DAYS, type StatementInput, type StatementLine, type StatementProfile } from '../../src/db/seed/transactions.ts';
import { todayInTokyo } from '../../src/db/seed/seed.ts';

const ORDINARY: { profile: StatementProfile; accountNumber: string; openedOn: string }[] = [
  { profile: 'corporate-main', accountNumber: '1000088', openedOn: '2015-04-01' },
  { profile: 'corporate-sub', accountNumber: '1000658', openedOn: '2019-10-01' },
  { profile: 'individual', accountNumber: '2000123', openedOn: '2018-06-15' },
  { profile: 'fx-usd', accountNumber: '1000995', openedOn: '2022-07-01' },
];
// Month ends, a year end, a leap day, weekends and weekdays.
const TODAYS = ['2026-11-21', '2026-01-04', '2028-02-29', '2026-03-31', '2027-07-25', '2026-12-31'];

/** Decimal string → integer minor units (two places), exact. */
function cents(value: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(value);
  if (!m) throw new Error(`not a decimal: ${value}`);
  const v = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '0').padEnd(2, '0'));
  return m[1] ? -v : v;
}

/** Breaches of the rules the transactions table's trigger and constraints enforce, plus the demo's own promises. */
function problemsOf(input: StatementInput, lines: StatementLine[]): string[] {
  const usd = input.profile === 'fx-usd';
  const problems: string[] = [];
  let prev: StatementLine | undefined;
  for (const l of lines) {
    const where = `${input.profile} ${l.itemKey}`;
    if (!/^\d{12}$/.test(l.itemKey) || l.itemKey.slice(0, 8) !== l.transactionDate.replaceAll('-', '')) problems.push(`${where}: item key not date-based`);
    if (!(usd ? /^\d+\.\d{2}$/ : /^\d+$/).test(l.amount)) problems.push(`${where}: amount format ${l.amount}`);
    if (cents(l.amount) <= 0n) problems.push(`${where}: amount not positive`);
    if (cents(l.balanceAfter) < 0n) problems.push(`${where}: negative balance`);
    if (l.valueDate > l.transactionDate || l.valueDate < input.openedOn) problems.push(`${where}: value date ${l.valueDate}`);
    if (l.transactionDate > input.today || l.transactionDate < input.openedOn) problems.push(`${where}: date outside account life`);
    if (l.remarks.length === 0 || l.remarks.length > 200) problems.push(`${where}: remarks length`);
    if (prev) {
      if (BigInt(l.itemKey) <= BigInt(prev.itemKey)) problems.push(`${where}: item key not increasing`);
      if (l.transactionDate < prev.transactionDate) problems.push(`${where}: date decreasing`);
      const expected = cents(prev.balanceAfter) + (l.transactionType === 1 ? 1n : -1n) * cents(l.amount);
      if (cents(l.balanceAfter) !== expected) problems.push(`${where}: balance does not follow`);
    }
    prev = l;
  }
  return problems;
}

t.test('the same inputs always give the same statement', async (t) => {
  for (const a of ORDINARY) {
    const input = { ...a, today: '2026-11-21' };
    t.same(generateStatement(input), generateStatement(input), a.profile);
  }
});

t.test('different accounts of the same profile get different statements', async (t) => {
  const one = generateStatement({ profile: 'individual', accountNumber: '2000123', openedOn: '2018-06-15', today: '2026-11-21' });
  const two = generateStatement({ profile: 'individual', accountNumber: '2000124', openedOn: '2018-06-15', today: '2026-11-21' });
  t.notSame(one, two);
});

t.test('every statement keeps the invariants the database enforces', async (t) => {
  for (const today of TODAYS) {
    for (const a of ORDINARY) {
      t.same(problemsOf({ ...a, today }, generateStatement({ ...a, today })), [], `${a.profile} up to ${today}: every line is consistent`);
    }
  }
});

t.test('ordinary accounts cover about ninety days ending today', async (t) => {
  for (const today of TODAYS) {
    for (const a of ORDINARY.filter((x) => x.profile !== 'fx-usd')) {
      const lines = generateStatement({ ...a, today });
      t.ok(lines.length >= 60, `${a.profile} ${today}: ${lines.length} lines`);
      t.ok(lines[0]!.transactionDate >= addDays(today, -(STATEMENT_DAYS - 1)), 'first line inside the window');
      t.ok(lines[0]!.transactionDate <= addDays(today, -80), 'first line near the start of the window');
      t.ok(lines.at(-1)!.transactionDate >= addDays(today, -3), 'last line near today');
    }
  }
});

t.test('statements read like the account kind they belong to', async (t) => {
  const today = '2026-11-21';
  const remarks = (i: (typeof ORDINARY)[number]) => generateStatement({ ...i, today }).map((l) => l.remarks);
  const [main, sub, individual, usd] = ORDINARY.map(remarks) as [string[], string[], string[], string[]];
  for (const r of ['給与振込', '振込手数料', '口座振替 電気料金', '税金 源泉所得税']) t.ok(main.includes(r), `corporate main account has ${r}`);
  t.ok(main.some((r) => r.startsWith('振込 ｶ)')), 'corporate main account receives customer payments');
  t.ok(main.some((r) => r.startsWith('Visaデビット')), 'corporate main account has card payments');
  t.notOk(sub.includes('給与振込'), 'salaries are paid from the main account only');
  t.ok(individual.some((r) => r.startsWith('給与 ')), 'the individual receives a salary');
  for (const r of ['口座振替 電気', '口座振替 ガス', '口座振替 携帯', 'ATM出金']) t.ok(individual.includes(r), `individual account has ${r}`);
  t.ok(usd.includes('利息') && usd.includes('外貨預入'), 'the USD account has interest and FX purchases');

  const salaries = generateStatement({ ...ORDINARY[0]!, today }).filter((l) => l.remarks === '給与振込');
  for (const s of salaries) t.ok(Number(s.transactionDate.slice(8)) >= 23 && Number(s.transactionDate.slice(8)) <= 25, `salary paid on ${s.transactionDate}`);
});

t.test('weekends are quieter than weekdays', async (t) => {
  const lines = generateStatement({ ...ORDINARY[0]!, today: '2026-11-21' });
  const perDay = { weekend: 0, weekday: 0 };
  for (const l of lines) perDay[[0, 6].includes(new Date(`${l.transactionDate}T00:00:00Z`).getUTCDay()) ? 'weekend' : 'weekday']++;
  t.ok(perDay.weekend / 26 < perDay.weekday / 64, `weekend ${perDay.weekend}, weekday ${perDay.weekday}`);
});

t.test('a time deposit has one deposit line on its opening day', async (t) => {
  const lines = generateStatement({ profile: 'time-deposit', accountNumber: '1000771', openedOn: '2024-04-01', today: '2026-11-21' });
  t.equal(lines.length, 1);
  t.match(lines[0], { transactionDate: '2024-04-01', valueDate: '2024-04-01', transactionType: 1, remarks: '預入', itemKey: '202404010001' });
  t.equal(lines[0]!.amount, lines[0]!.balanceAfter);
});

t.test('an account opened inside the window starts with its opening deposit', async (t) => {
  const input = { profile: 'individual' as const, accountNumber: '2000999', openedOn: '2026-10-15', today: '2026-11-21' };
  const lines = generateStatement(input);
  t.match(lines[0], { transactionDate: '2026-10-15', transactionType: 1, remarks: '預入' });
  t.equal(lines[0]!.amount, lines[0]!.balanceAfter);
  t.same(problemsOf(input, lines), []);
});

t.test('an account not yet opened has no lines, and bad dates are refused', async (t) => {
  t.same(generateStatement({ profile: 'individual', accountNumber: '2000123', openedOn: '2026-12-01', today: '2026-11-21' }), []);
  t.throws(() => generateStatement({ profile: 'individual', accountNumber: '2000123', openedOn: '2018-06-15', today: '2026-02-30' }), RangeError);
  t.throws(() => generateStatement({ profile: 'individual', accountNumber: '2000123', openedOn: '2018-6-15', today: '2026-11-21' }), RangeError);
});

t.test('today is the calendar date in Tokyo', async (t) => {
  t.equal(todayInTokyo(new Date('2026-11-20T15:00:00Z')), '2026-11-21');
  t.equal(todayInTokyo(new Date('2026-11-20T14:59:59Z')), '2026-11-20');
});
