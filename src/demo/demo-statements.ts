import { jstDate } from '../shared/jst.ts';
import type { DemoBankApi, Statement } from './demo-bank-api.ts';
import { formatAmount } from './demo-pages.ts';
import type { DemoSession } from './demo-sessions.ts';

/** The statement page shows this many days ending on the newest line by default. */
const DEFAULT_DAYS = 30;
/** How far newestLineDate pages through an account's lines before it settles for what it found. */
const MAX_PAGES_SEARCHED = 20;

interface StatementRequest { dateFrom?: string | undefined; dateTo?: string | undefined; nextItemKey?: string | undefined }

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const statementPath = (accountId: string, query: Record<string, string>) =>
  `/demo/accounts/${accountId}/transactions?${new URLSearchParams(query)}`;

/** The date of the account's newest statement line: pages from the first line up to today, once per session. */
async function newestLineDate(api: DemoBankApi, s: DemoSession, accountId: string): Promise<string> {
  const known = s.newestDate?.get(accountId);
  if (known) return known;
  const today = jstDate();
  let newest = today;
  let nextItemKey: string | undefined;
  for (let page = 0; page < MAX_PAGES_SEARCHED; page++) {
    const st = await api.get<Statement>(s, '/accounts/transactions', { accountId, dateTo: today, nextItemKey });
    if (st.transactions.length) newest = st.transactions.at(-1)!.transactionDate;
    if (!st.hasNext || !st.nextItemKey) break;
    nextItemKey = st.nextItemKey;
  }
  (s.newestDate ??= new Map()).set(accountId, newest);
  return newest;
}

/**
 * One page of an account's statement as the page shows it. Without dates: the last 30 days ending on
 * the newest line (the demo statements end on the day they were seeded, which may lie in the past).
 */
export async function statementPage(api: DemoBankApi, s: DemoSession, accountId: string, q: StatementRequest) {
  let { dateFrom, dateTo } = q;
  if (!dateFrom && !dateTo) {
    dateTo = await newestLineDate(api, s, accountId);
    dateFrom = addDays(dateTo, -(DEFAULT_DAYS - 1));
  }
  const st = await api.get<Statement>(s, '/accounts/transactions', { accountId, dateFrom, dateTo, nextItemKey: q.nextItemKey });
  const period = { dateFrom: st.dateFrom, dateTo: st.dateTo };
  // Newest first reads better for a household budget; the API pages oldest first (DESIGN §8).
  const rows = st.transactions.map((t) => ({
    date: t.transactionDate, remarks: t.remarks ?? '',
    credit: t.transactionType === '1' ? formatAmount(t.amount, st.currencyCode) : '',
    debit: t.transactionType === '2' ? formatAmount(t.amount, st.currencyCode) : '',
    balance: formatAmount(t.balance, st.currencyCode),
  })).reverse();
  return {
    statement: st,
    rows,
    next: st.hasNext && st.nextItemKey ? statementPath(accountId, { ...period, nextItemKey: st.nextItemKey }) : undefined,
    first: q.nextItemKey ? statementPath(accountId, period) : undefined,
  };
}
