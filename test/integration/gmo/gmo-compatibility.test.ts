import t, { type Test } from 'tap';
import { baseDateTime } from '../../../src/resource-api/format.ts';
import { apiSessionFor, type ApiSession } from '../../helpers/api-session.ts';
import { dpopGet, rawGet, type ApiResponse } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { describeErrors, GMO_ACCOUNT_TYPES, gmoValidators, type GmoApi, type GmoOperation } from '../../helpers/gmo-schemas.ts';

// DESIGN §8 "Drop-in for GMO integrations": real responses of every read endpoint, for every demo
// account type (01, 11, 51) of the corporate and the individual customer, validated in strict mode
// against the project's own JSON Schemas of GMO's AccountsResponse, BalancesResponse,
// TransactionsResponse and ErrorResponse (test/helpers/gmo-schemas.ts, written from swagger v1.1.12),
// each customer through its own GMO API's base path and through /api/v1. Schemas alone could be satisfied by empty lists,
// so every answer is also held against the database: the accounts the grant covers, their balances,
// every statement line.
t.setTimeout(600_000);

const server = await startAuthServer(t);
const { db } = server.database;
const validators = gmoValidators();

const GMO_BASES: Record<GmoApi, string> = { corporation: '/ganb/api/corporation/v1', personal: '/ganb/api/personal/v1' };
const isGmo = (base: string) => base !== '/api/v1';

const corporate = { label: 'corporate (master 1000000001)', api: 'corporation' as GmoApi, session: await apiSessionFor(server, '1000000001', 'Aozora2024') };
const individual = { label: 'individual (2000000001)', api: 'personal' as GmoApi, session: await apiSessionFor(server, '2000000001', 'Hanako2024') };
const customers = [corporate, individual];

/** The demo accounts each customer's grant covers, with their stored balances (DESIGN §9). */
async function storedAccounts(customerKind: 'corporate' | 'individual') {
  return db.selectFrom('accounts').innerJoin('customers', 'customers.id', 'accounts.customer_id')
    .select(['accounts.id', 'accounts.public_id', 'accounts.account_type_code', 'accounts.balance', 'accounts.currency'])
    .where('customers.kind', '=', customerKind).where('customers.name', 'in', ['青空商事株式会社', '青空 花子']).execute();
}
const stored = { corporation: await storedAccounts('corporate'), personal: await storedAccounts('individual') };

const counts = { strict: 0, byOperation: {} as Record<string, number>, conditional: {} as Record<string, number>, errors: 0 };
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

function validate(t: Pick<Test, 'ok' | 'match'>, api: GmoApi, op: GmoOperation, res: ApiResponse, label: string): boolean {
  const v = validators[api][op];
  const ok = v(res.body);
  t.ok(ok, `${label}: validates against GMO ${api} ${op === 'error' ? 'ErrorResponse' : op} schema`, ok ? {} : { errors: describeErrors(v), body: res.text.slice(0, 1500) });
  t.match(res.headers.get('x-request-id'), /^\S{8,}$/, `${label}: X-Request-Id header`);
  if (op === 'error') counts.errors++;
  else {
    counts.strict++;
    bump(counts.byOperation, op);
  }
  // Count the per-科目 rules applied (every account or balance entry meets its type's if/then).
  for (const key of ['accounts', 'balances'] as const) {
    const list = res.body[key];
    if (Array.isArray(list)) for (const e of list as { accountTypeCode?: string }[]) bump(counts.conditional, `${key === 'accounts' ? 'Account' : 'Balance'} ${e.accountTypeCode}`);
  }
  return ok;
}

const get = (s: ApiSession, path: string) => dpopGet(server, s, path);

for (const c of customers) {
  // Each customer through its own GMO API (GMO publishes one per customer kind) and through /api/v1.
  for (const base of [GMO_BASES[c.api], '/api/v1']) {
    const api = c.api;
    const accounts = stored[c.api];

    t.test(`${c.label} via ${base}: 口座一覧照会 lists exactly the granted accounts, GMO-shaped`, async (t) => {
      const res = await get(c.session, `${base}/accounts`);
      t.equal(res.status, 200, `${base}/accounts: 200`, { body: res.text.slice(0, 300) });
      validate(t, api, 'accounts', res, `${base}/accounts`);
      const list = (res.body.accounts ?? []) as { accountId: string; accountTypeCode: string; accountTypeName: string }[];
      t.same(list.map((a) => a.accountId).sort(), accounts.map((a) => a.public_id).sort(), 'every demo account the grant covers, no other');
      for (const a of list) t.equal(a.accountTypeName, GMO_ACCOUNT_TYPES[a.accountTypeCode as keyof typeof GMO_ACCOUNT_TYPES], `${a.accountId}: accountTypeName as GMO spells it`);
    });

    t.test(`${c.label} via ${base}: 残高照会, all accounts and each one, amounts from the ledger`, async (t) => {
      const all = await get(c.session, `${base}/accounts/balances`);
      t.equal(all.status, 200, `${base}/accounts/balances: 200`, { body: all.text.slice(0, 300) });
      validate(t, api, 'balances', all, `${base}/accounts/balances`);
      t.same(((all.body.balances ?? []) as { accountId: string }[]).map((b) => b.accountId).sort(), accounts.map((a) => a.public_id).sort(), 'one balance per granted account');
      for (const a of accounts) {
        const one = await get(c.session, `${base}/accounts/balances?accountId=${a.public_id}`);
        t.equal(one.status, 200, `${a.public_id}: 200`);
        validate(t, api, 'balances', one, `${base}/accounts/balances?accountId=${a.public_id} (${a.account_type_code})`);
        const b = ((one.body.balances ?? []) as Record<string, string>[])[0] ?? {};
        t.equal(b.accountId, a.public_id, `${a.public_id}: the account asked for`);
        if (a.account_type_code === '51') {
          t.equal(Number(b.fcyTotalBalance), Number(a.balance), `${a.public_id}: fcyTotalBalance is the ${a.currency} balance`);
          t.ok(Number(b.ttb) > 0, `${a.public_id}: a positive ttb`);
          t.ok(Math.abs(Number(b.yenEquivalent) - Number(b.fcyTotalBalance) * Number(b.ttb)) <= 1, `${a.public_id}: yenEquivalent = fcyTotalBalance × ttb (to the yen)`);
        } else {
          t.equal(b.balance, String(BigInt(a.balance.replace(/\.0+$/, ''))), `${a.public_id}: balance is the stored yen balance`);
        }
      }
    });

    t.test(`${c.label} via ${base}: 入出金明細照会 for 01 accounts (three date forms, every page), 400 for 11 and 51`, async (t) => {
      for (const a of accounts) {
        const path = `${base}/accounts/transactions?accountId=${a.public_id}`;
        if (a.account_type_code !== '01') {
          const res = await get(c.session, path);
          t.equal(res.status, 400, `${a.public_id} (${a.account_type_code}): statements are for 01/02 accounts only → 400`);
          if (isGmo(base)) validate(t, api, 'error', res, `${path} (${a.account_type_code})`);
          else t.equal(res.body.errorCode, 'invalid_parameter', '/api/v1 keeps its §8 code');
          continue;
        }
        const lines = await db.selectFrom('transactions').select(['item_key', 'transaction_date']).where('account_id', '=', a.id).orderBy('item_key').execute();
        const firstDay = lines[0]!.transaction_date;
        for (const query of ['', `&dateTo=${baseDateTime().baseDate}`, `&dateFrom=${firstDay}`]) {
          const pages: ApiResponse[] = [await get(c.session, path + query)];
          while (pages.at(-1)!.status === 200 && pages.at(-1)!.body.hasNext === true && pages.length < 20) pages.push(await get(c.session, `${path}${query}&nextItemKey=${String(pages.at(-1)!.body.nextItemKey)}`));
          for (const [i, p] of pages.entries()) {
            t.equal(p.status, 200, `${a.public_id}${query} page ${i + 1}: 200`);
            validate(t, api, 'transactions', p, `${path}${query} page ${i + 1}`);
            t.equal(p.body.count, String((p.body.transactions as unknown[] | undefined)?.length), 'count is the number of lines on the page');
          }
          if (query !== '') {
            const keys = pages.flatMap((p) => ((p.body.transactions ?? []) as { itemKey?: string }[]).map((l) => l.itemKey));
            t.same(keys, lines.map((l) => l.item_key), `${a.public_id}: the whole history, every line once, in order (${keys.length} lines, ${pages.length} page(s))`);
          }
        }
      }
    });
  }
}

/** Who calls in the error cases under a base: the customer of that GMO API (the individual under /api/v1). */
async function errorContext(api: GmoApi) {
  const c = api === 'corporation' ? corporate : individual;
  const login = api === 'corporation' ? ['1000000001', 'Aozora2024'] as const : ['2000000001', 'Hanako2024'] as const;
  return {
    session: c.session,
    balancesOnly: await apiSessionFor(server, login[0], login[1], { scopes: ['balances'] }),
    own: stored[api].find((a) => a.account_type_code === '01')!.public_id,
    foreign: stored[api === 'corporation' ? 'personal' : 'corporation'].find((a) => a.account_type_code === '01')!.public_id,
  };
}

t.test('error bodies under the GMO paths are exactly GMO\'s ErrorResponse; /api/v1 keeps its §8 codes and requestId', async (t) => {
  type Ctx = Awaited<ReturnType<typeof errorContext>>;
  const cases: { label: string; status: number; v1Code: string; run: (base: string, x: Ctx) => Promise<ApiResponse> }[] = [
    { label: 'no token', status: 401, v1Code: 'invalid_token', run: (base) => rawGet(server, `${base}/accounts`) },
    { label: 'a malformed DPoP token', status: 401, v1Code: 'invalid_token', run: (base, x) => dpopGet(server, x.session, `${base}/accounts`, { headers: { authorization: 'DPoP not-a-token' } }) },
    { label: 'a DPoP token without its proof', status: 401, v1Code: 'invalid_dpop_proof', run: (base, x) => rawGet(server, `${base}/accounts`, { authorization: `DPoP ${x.session.tokens.access_token}` }) },
    { label: 'a DPoP token sent as x-access-token on the main origin (no certificate, no proof)', status: 401, v1Code: 'invalid_token', run: (base, x) => rawGet(server, `${base}/accounts`, { 'x-access-token': x.session.tokens.access_token }) },
    { label: 'accountId of 11 digits', status: 400, v1Code: 'invalid_parameter', run: (base, x) => get(x.session, `${base}/accounts/balances?accountId=${x.own.slice(1)}`) },
    { label: 'dateFrom after dateTo', status: 400, v1Code: 'invalid_parameter', run: (base, x) => get(x.session, `${base}/accounts/transactions?accountId=${x.own}&dateFrom=2026-11-20&dateTo=2026-11-01`) },
    { label: 'a bad nextItemKey', status: 400, v1Code: 'invalid_parameter', run: (base, x) => get(x.session, `${base}/accounts/transactions?accountId=${x.own}&nextItemKey=abc`) },
    { label: 'transactions without accountId', status: 400, v1Code: 'invalid_parameter', run: (base, x) => get(x.session, `${base}/accounts/transactions`) },
    { label: 'an account the grant does not cover', status: 403, v1Code: 'account_forbidden', run: (base, x) => get(x.session, `${base}/accounts/balances?accountId=${x.foreign}`) },
    { label: 'a token without the transactions scope', status: 403, v1Code: 'insufficient_scope', run: (base, x) => get(x.balancesOnly, `${base}/accounts/transactions?accountId=${x.own}`) },
  ];
  const contexts = { corporation: await errorContext('corporation'), personal: await errorContext('personal') };
  for (const [base, api] of [[GMO_BASES.corporation, 'corporation'], [GMO_BASES.personal, 'personal'], ['/api/v1', 'personal']] as const) {
    for (const c of cases) {
      const res = await c.run(base, contexts[api]);
      const label = `${base} ${c.label}`;
      t.equal(res.status, c.status, `${label}: ${c.status}`, res.status === c.status ? {} : { body: res.text.slice(0, 300) });
      t.match(res.headers.get('content-type'), /^application\/json/, `${label}: JSON`);
      if (c.status === 401) t.ok(res.headers.get('www-authenticate'), `${label}: WWW-Authenticate`);
      if (isGmo(base)) {
        validate(t, api, 'error', res, label);
      } else {
        t.equal(res.body.errorCode, c.v1Code, `${label}: §8 code ${c.v1Code}`);
        t.equal(res.body.requestId, res.headers.get('x-request-id'), `${label}: requestId in the body is the X-Request-Id header`);
      }
    }
  }
  // GMO answers an unknown operation under its base path with 404 and an ErrorResponse.
  for (const api of ['corporation', 'personal'] as const) {
    const res = await get(contexts[api].session, `${GMO_BASES[api]}/accounts/no-such-operation`);
    t.equal(res.status, 404, `${GMO_BASES[api]}/accounts/no-such-operation: 404`);
    validate(t, api, 'error', res, `${GMO_BASES[api]}/accounts/no-such-operation`);
  }
  // The other customer kind's GMO API (GMO has one per kind; DESIGN §8 does not say which answer):
  // whatever comes back is GMO-shaped, a 200 of the operation or an ErrorResponse.
  for (const [c, api] of [[corporate, 'personal'], [individual, 'corporation']] as const) {
    const res = await get(c.session, `${GMO_BASES[api]}/accounts`);
    validate(t, api, res.status === 200 ? 'accounts' : 'error', res, `${c.label} on ${GMO_BASES[api]}/accounts (${res.status})`);
  }
});

// Last (tap runs these in order): the figures for the closing note.
t.test('counts', async (t) => {
  t.ok(counts.strict > 0 && counts.errors > 0, 'responses were validated');
  const cond = Object.entries(counts.conditional).map(([k, n]) => `${k}: ${n}`).join(', ');
  const ops = Object.entries(counts.byOperation).map(([k, n]) => `${k} ${n}`).join(', ');
  t.comment(`GMO compatibility: ${counts.strict} 200 responses validated strictly (${ops}); per-科目 conditional rules applied to ${Object.values(counts.conditional).reduce((a, b) => a + b, 0)} entries (${cond}); ${counts.errors} error bodies validated against ErrorResponse`);
});
