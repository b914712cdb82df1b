import t, { type Test } from 'tap';
import { baseDateTime } from '../../../src/resource-api/format.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { GmoClient, type GmoCall } from '../../helpers/gmo-client.ts';
import { appendStatementLines } from '../../helpers/gmo-fixtures.ts';
import { describeErrors, gmoValidators, type GmoApi, type GmoOperation } from '../../helpers/gmo-schemas.ts';
import { mtlsSessionFor } from '../../helpers/mtls-session.ts';

// DESIGN §8 "Drop-in for GMO integrations", from the client's side: a client that sends what GMO's
// generated SDKs send (test/helpers/gmo-client.ts: the token only in x-access-token, `_=<time>` on
// every GET, GMO's base paths, an HTTPS agent with the client certificate) reads accounts, balances
// and every page of a multi-page statement from the mutual-TLS origin with a certificate-bound token,
// and every answer validates against GMO's schemas and matches the ledger.
t.setTimeout(600_000);

const server = await startAuthServer(t);
const { db } = server.database;
const validators = gmoValidators();
const today = baseDateTime().baseDate;
const MAIN = '101011000088';
const EXTRA_LINES = 1_100;
const BASE = { corporation: '/ganb/api/corporation/v1', personal: '/ganb/api/personal/v1' } as const;

// A statement longer than two pages of 500: extra lines booked today on the corporate main account.
await appendStatementLines(db, MAIN, EXTRA_LINES, today);

const clients: GmoClient[] = [];
t.teardown(() => clients.forEach((c) => c.close()));
function clientFor(api: GmoApi, accessToken: string, certificate: { cert: string; key: string }): GmoClient {
  const c = new GmoClient({ basePath: `${server.mtlsUrl}${BASE[api]}`, accessToken, tls: { ...certificate, ca: server.ca } });
  clients.push(c);
  return c;
}

function expectValid(t: Test, api: GmoApi, op: GmoOperation, call: GmoCall, label: string): void {
  const v = validators[api][op];
  t.ok(v(call.body), `${label}: validates against GMO ${api} ${op === 'error' ? 'ErrorResponse' : op} schema`, v.errors ? { errors: describeErrors(v), body: call.text.slice(0, 1200) } : {});
}

/** What every call of the client must look like on the wire, and what must come back. */
function expectSdkShape(t: Test, client: GmoClient): void {
  for (const [i, c] of client.calls.entries()) {
    const keys = [...c.url.searchParams.keys()];
    t.equal(keys.at(-1), '_', `call ${i + 1}: the SDK's cache-buster _ is the last query parameter`);
    t.match(c.url.searchParams.get('_'), /^\d{13}$/, `call ${i + 1}: _ is a millisecond timestamp`);
    t.same(Object.keys(c.headers).sort(), ['accept', 'content-type', 'x-access-token'], `call ${i + 1}: the token only in x-access-token, no Authorization`);
    t.match(c.responseHeaders['x-request-id'], /^\S{8,}$/, `call ${i + 1}: X-Request-Id`);
  }
}

async function walkStatement(t: Test, client: GmoClient, api: GmoApi, accountId: string, rowId: string, minPages: number) {
  const first = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', rowId).orderBy('item_key').limit(1).executeTakeFirstOrThrow();
  const pages = await client.allTransactionPages(accountId, { dateFrom: first.transaction_date, dateTo: today });
  t.ok(pages.length >= minPages, `${accountId}: ${pages.length} page(s), at least ${minPages}`);
  for (const [i, p] of pages.entries()) {
    t.equal(p.status, 200, `${accountId} page ${i + 1}: 200`, p.status === 200 ? {} : { body: p.text.slice(0, 300) });
    expectValid(t, api, 'transactions', p, `${accountId} page ${i + 1}`);
    const b = p.body as { count?: string; transactions?: unknown[]; hasNext?: boolean };
    t.equal(b.count, String(b.transactions?.length), `${accountId} page ${i + 1}: count ${b.count}`);
    if (i < pages.length - 1) t.equal(b.transactions?.length, 500, `${accountId} page ${i + 1}: a full page of 500`);
    if (i > 0) t.equal(p.url.searchParams.get('nextItemKey'), (pages[i - 1]!.body as { nextItemKey?: string }).nextItemKey, `${accountId} page ${i + 1}: asked with the previous page's nextItemKey`);
  }
  t.equal((pages.at(-1)!.body as { hasNext?: boolean }).hasNext, false, `${accountId}: the last page says hasNext false`);
  const got = pages.flatMap((p) => ((p.body as { transactions?: { itemKey?: string }[] }).transactions ?? []).map((l) => l.itemKey));
  const stored = await db.selectFrom('transactions').select('item_key').where('account_id', '=', rowId).orderBy('item_key').execute();
  t.same(got, stored.map((r) => r.item_key), `${accountId}: every stored line exactly once, in order (${got.length} lines)`);
}

t.test('corporate: accounts, balances and every statement page through /ganb/api/corporation/v1 with x-access-token over mutual TLS', async (t) => {
  const s = await mtlsSessionFor(t, server, '1000000001', 'Aozora2024');
  const client = clientFor('corporation', s.tokens.access_token, s.certificate);

  const accounts = await client.accounts();
  t.equal(accounts.status, 200, 'accounts: 200', accounts.status === 200 ? {} : { body: accounts.text.slice(0, 300) });
  expectValid(t, 'corporation', 'accounts', accounts, 'accounts');
  const list = ((accounts.body as { accounts?: { accountId: string; accountTypeCode: string }[] } | undefined)?.accounts ?? []);
  t.same(list.map((a) => a.accountTypeCode).sort(), ['01', '01', '11', '51'], 'the four corporate demo accounts: 01, 01, 11, 51');

  const balances = await client.balances();
  t.equal(balances.status, 200, 'balances: 200');
  expectValid(t, 'corporation', 'balances', balances, 'balances');
  for (const a of list) {
    const one = await client.balances(a.accountId);
    t.equal(one.status, 200, `balances ${a.accountId}: 200`);
    expectValid(t, 'corporation', 'balances', one, `balances ${a.accountId} (${a.accountTypeCode})`);
  }

  for (const a of list) {
    if (a.accountTypeCode === '01') {
      const row = await db.selectFrom('accounts').select('id').where('public_id', '=', a.accountId).executeTakeFirstOrThrow();
      await walkStatement(t, client, 'corporation', a.accountId, row.id, a.accountId === MAIN ? 3 : 1);
    } else {
      const res = await client.transactions(a.accountId);
      t.equal(res.status, 400, `transactions of a ${a.accountTypeCode} account: 400 (GMO: 01/02 only)`);
      expectValid(t, 'corporation', 'error', res, `transactions of ${a.accountId}`);
    }
  }
  expectSdkShape(t, client);
  t.comment(`GMO SDK-style client, corporate: ${client.calls.length} calls`);
});

t.test('individual: the same through /ganb/api/personal/v1', async (t) => {
  const s = await mtlsSessionFor(t, server, '2000000001', 'Hanako2024');
  const client = clientFor('personal', s.tokens.access_token, s.certificate);
  const accounts = await client.accounts();
  t.equal(accounts.status, 200, 'accounts: 200', accounts.status === 200 ? {} : { body: accounts.text.slice(0, 300) });
  expectValid(t, 'personal', 'accounts', accounts, 'accounts');
  const list = ((accounts.body as { accounts?: { accountId: string }[] } | undefined)?.accounts ?? []);
  t.same(list.map((a) => a.accountId), ['100012000123'], 'the individual demo account');
  const balances = await client.balances('100012000123');
  t.equal(balances.status, 200, 'balances: 200');
  expectValid(t, 'personal', 'balances', balances, 'balances');
  const row = await db.selectFrom('accounts').select('id').where('public_id', '=', '100012000123').executeTakeFirstOrThrow();
  await walkStatement(t, client, 'personal', '100012000123', row.id, 1);
  expectSdkShape(t, client);
  t.comment(`GMO SDK-style client, individual: ${client.calls.length} calls`);
});

t.test('the certificate binding still applies to x-access-token; a wrong token is refused', async (t) => {
  const s = await mtlsSessionFor(t, server, '2000000001', 'Hanako2024');
  const other = await generateSelfSigned(['another-partner.example']);
  const cases: [string, GmoClient][] = [
    ['the right token with another client certificate', clientFor('personal', s.tokens.access_token, other)],
    ['a token that is not one', clientFor('personal', 'not-a-token', s.certificate)],
  ];
  for (const [label, client] of cases) {
    const res = await client.accounts();
    t.equal(res.status, 401, `${label}: 401`);
    expectValid(t, 'personal', 'error', res, label);
    t.ok(res.responseHeaders['www-authenticate'], `${label}: WWW-Authenticate`);
    expectSdkShape(t, client);
  }
});

t.test('counts', async (t) => {
  const total = clients.reduce((n, c) => n + c.calls.length, 0);
  t.ok(total > 0, 'the client made calls');
  t.comment(`GMO SDK-style client: ${total} calls in all (${clients.map((c) => c.calls.length).join(' + ')})`);
});
