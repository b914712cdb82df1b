import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';

const server = await startAuthServer(t);
const { db } = server.database;

t.test('user 1 reads exactly their two ordinary accounts, with the contract’s fields', async (t) => {
  const s = await apiSessionFor(server, '1000000002', 'User1pass2024');
  const res = await s.get('/api/v1/accounts');
  t.equal(res.status, 200);
  const body = await res.json() as { accounts: Record<string, string>[]; baseDate: string; baseTime: string };
  t.same(body.accounts.map((a) => a.accountNumber), ['1000088', '1000658']);
  t.match(body.accounts[0], {
    accountId: '101011000088', branchCode: '101', branchName: '法人営業部', accountTypeCode: '01', accountTypeName: '普通預金（有利息）',
    primaryAccountCode: '1', primaryAccountCodeName: '代表口座', currencyCode: 'JPY', currencyName: '日本円', transferLimitAmount: /^\d+$/,
  });
  t.match(body.baseDate, /^\d{4}-\d{2}-\d{2}$/);
  t.match(body.baseTime, /^\d{2}:\d{2}:\d{2}\+09:00$/);

  const balances = await (await s.get('/api/v1/accounts/balances?accountId=101011000088')).json() as { balances: Record<string, string>[] };
  t.equal(balances.balances.length, 1);
  const account = await db.selectFrom('accounts').select('balance').where('account_number', '=', '1000088').executeTakeFirstOrThrow();
  t.equal(balances.balances[0]!.balance, account.balance.replace(/\.00$/, ''), 'the balance as a whole-yen string');
  t.match(balances.balances[0], { previousDayBalance: /^\d+$/, previousMonthBalance: /^\d+$/, withdrawableAmount: /^\d+$/ });

  const tx = await s.get('/api/v1/accounts/transactions?accountId=101011000088&dateFrom=2026-08-01&dateTo=2026-11-20');
  t.equal(tx.status, 200);
  const statement = await tx.json() as { transactions: { itemKey: string; balance: string; amount: string; transactionType: string }[]; count: string; hasNext: boolean };
  t.equal(statement.hasNext, false);
  t.equal(statement.count, String(statement.transactions.length));
  t.ok(statement.transactions.length > 50, 'about 90 days of lines');
  const keys = statement.transactions.map((x) => BigInt(x.itemKey));
  t.ok(keys.every((k, i) => i === 0 || k > keys[i - 1]!), 'ascending item keys');

  const forbidden = await s.get('/api/v1/accounts/balances?accountId=101111000771');
  t.equal(forbidden.status, 403, 'a time deposit user 1 may not see');
  t.match(await forbidden.json(), { errorCode: 'account_forbidden' });
});
