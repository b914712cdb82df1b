import t from 'tap';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/database.ts';
import { seedDemoData, hasDemoData } from '../../../src/db/seed/seed.ts';
import { verifySecret } from '../../../src/shared/secret-hash.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// A fixed day, so both databases of the determinism test get the same statements.
const TODAY = '2026-03-02';
const { db } = await createTestDatabase(t);

t.test('seeding an empty database inserts the demo data and reports it', async (t) => {
  t.equal(await hasDemoData(db), false, 'no demo data before');
  const started = performance.now();
  const summary = await seedDemoData(db, { today: TODAY });
  t.comment(`seeded in ${Math.round(performance.now() - started)} ms`);
  t.match(summary, { today: TODAY, customers: 3, accounts: 6, groups: 3, groupAccountRights: 3, users: 6, partners: 1 });
  t.ok(summary.transactions > 300, `${summary.transactions} statement lines`);
  t.equal(await hasDemoData(db), true, 'demo data after');
});

t.test('the three customers are exactly those of the demo contract', async (t) => {
  const rows = await db.selectFrom('customers').select(['name', 'kind', 'business_id_status', 'certificate_service_status', 'login_method']).orderBy(byteOrder('name')).execute();
  t.same(rows, [
    { name: '株式会社みどり製作所', kind: 'corporate', business_id_status: 'active', certificate_service_status: 'active', login_method: 'certificate' },
    { name: '青空 花子', kind: 'individual', business_id_status: 'none', certificate_service_status: 'none', login_method: 'password' },
    { name: '青空商事株式会社', kind: 'corporate', business_id_status: 'active', certificate_service_status: 'none', login_method: 'password' },
  ]);
});

t.test('the six accounts have their numbers, kinds, owners and PINs', async (t) => {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('customers', 'customers.id', 'accounts.customer_id')
    .select(['public_id', 'customers.name as owner', 'branch_code', 'branch_name', 'account_type_code', 'account_number', 'is_primary', 'currency', 'inquiry_pin_hash', 'pin_failed_count', 'pin_locked_at'])
    .orderBy('public_id')
    .execute();
  t.same(
    rows.map(({ inquiry_pin_hash: _, ...r }) => r),
    [
      { public_id: '100012000123', owner: '青空 花子', branch_code: '100', branch_name: '本店営業部', account_type_code: '01', account_number: '2000123', is_primary: true, currency: 'JPY', pin_failed_count: 0, pin_locked_at: null },
      { public_id: '101011000088', owner: '青空商事株式会社', branch_code: '101', branch_name: '法人営業部', account_type_code: '01', account_number: '1000088', is_primary: true, currency: 'JPY', pin_failed_count: 0, pin_locked_at: null },
      { public_id: '101011000658', owner: '青空商事株式会社', branch_code: '101', branch_name: '法人営業部', account_type_code: '01', account_number: '1000658', is_primary: false, currency: 'JPY', pin_failed_count: 0, pin_locked_at: null },
      { public_id: '101013000111', owner: '株式会社みどり製作所', branch_code: '101', branch_name: '法人営業部', account_type_code: '01', account_number: '3000111', is_primary: true, currency: 'JPY', pin_failed_count: 0, pin_locked_at: null },
      { public_id: '101111000771', owner: '青空商事株式会社', branch_code: '101', branch_name: '法人営業部', account_type_code: '11', account_number: '1000771', is_primary: false, currency: 'JPY', pin_failed_count: 0, pin_locked_at: null },
      { public_id: '101511000995', owner: '青空商事株式会社', branch_code: '101', branch_name: '法人営業部', account_type_code: '51', account_number: '1000995', is_primary: false, currency: 'USD', pin_failed_count: 0, pin_locked_at: null },
    ],
  );
  const pins: Record<string, string> = { '1000088': '7392', '1000658': '5816', '1000771': '6043', '1000995': '3178', '2000123': '2580', '3000111': '4417' };
  for (const r of rows) {
    t.ok(await verifySecret(r.inquiry_pin_hash!, pins[r.account_number]!), `PIN of ${r.account_number} verifies`);
    t.notOk(await verifySecret(r.inquiry_pin_hash!, '0000'), `a wrong PIN for ${r.account_number} does not`);
  }
});

t.test('the users have their login IDs, roles, groups and passwords', async (t) => {
  const rows = await db
    .selectFrom('users')
    .innerJoin('customers', 'customers.id', 'users.customer_id')
    .leftJoin('groups', 'groups.id', 'users.group_id')
    .select(['login_id', 'customers.name as customer', 'role', 'groups.name as group', 'status', 'login_password_hash', 'transaction_password_hash', 'deleted_at'])
    .orderBy('login_id')
    .execute();
  const expected = [
    ['1000000001', '青空商事株式会社', 'master', null, 'Aozora2024', 'Torihiki2024'],
    ['1000000002', '青空商事株式会社', 'member', '円普通照会 書面発行', 'User1pass2024', 'User1tx2024'],
    ['1000000003', '青空商事株式会社', 'member', '振込', 'User2pass2024', 'User2tx2024'],
    ['1000000004', '青空商事株式会社', 'member', 'グループユーザー', 'User3pass2024', 'User3tx2024'],
    ['2000000001', '青空 花子', 'master', null, 'Hanako2024', 'Hanakotx2024'],
    ['3000000001', '株式会社みどり製作所', 'master', null, 'Midori2024', 'Midoritx2024'],
  ] as const;
  t.same(
    rows.map((r) => [r.login_id, r.customer, r.role, r.group, r.status, r.deleted_at]),
    expected.map(([id, customer, role, group]) => [id, customer, role, group, 'active', null]),
  );
  for (const [i, [id, , , , password, txPassword]] of expected.entries()) {
    t.ok(await verifySecret(rows[i]!.login_password_hash, password), `login password of ${id}`);
    t.ok(await verifySecret(rows[i]!.transaction_password_hash!, txPassword), `transaction password of ${id}`);
    t.notOk(await verifySecret(rows[i]!.login_password_hash, txPassword), `the transaction password is not the login password of ${id}`);
  }
});

t.test('the groups hold exactly the rights of the demo contract', async (t) => {
  const groups = await db.selectFrom('groups').selectAll().orderBy(byteOrder('name')).execute();
  const none = {
    approval_authority: false, approval_limit: null, self_approval_limit: null, time_deposit_inquiry: false, time_deposit_operate: false,
    fx_inquiry: false, fx_operate: false, important_operations: false, security_settings: false, user_admin: false,
    account_transfer_service: false, virtual_account_service: false, audit_log_view: false, smartphone_app: false, document_issuance: false,
  };
  const strip = ({ id: _i, customer_id: _c, created_at: _a, updated_at: _u, version: _v, ...g }: (typeof groups)[number]) => g;
  t.same(groups.map(strip), [
    { ...none, name: 'グループユーザー', user_admin: true },
    { ...none, name: '円普通照会 書面発行', document_issuance: true },
    { ...none, name: '振込', approval_authority: true, approval_limit: '10000000', self_approval_limit: '1000000' },
  ]);
  const rights = await db
    .selectFrom('group_account_rights as r')
    .innerJoin('groups as g', 'g.id', 'r.group_id')
    .innerJoin('accounts as a', 'a.id', 'r.account_id')
    .select(['g.name', 'a.account_number', 'r.inquiry', 'r.operate', 'r.transfer', 'r.bulk_transfer'])
    .orderBy(byteOrder('g.name'))
    .orderBy('a.account_number')
    .execute();
  t.same(rights, [
    { name: '円普通照会 書面発行', account_number: '1000088', inquiry: true, operate: false, transfer: false, bulk_transfer: false },
    { name: '円普通照会 書面発行', account_number: '1000658', inquiry: true, operate: false, transfer: false, bulk_transfer: false },
    { name: '振込', account_number: '1000088', inquiry: true, operate: true, transfer: true, bulk_transfer: true },
  ]);
});

t.test('the partner exists, and nothing the first journey must create does', async (t) => {
  const partners = await db.selectFrom('partners').select(['legal_name', 'service_name', 'registration_number', 'website_url', 'status']).execute();
  t.match(partners, [{ legal_name: '株式会社 入出金情報提供', service_name: 'かんたん家計簿', website_url: /^https:\/\//, status: 'active' }]);
  t.equal(partners.length, 1);
  t.ok(partners[0]!.registration_number, 'a registration number');
  for (const table of ['pin_registrations', 'oauth_clients', 'initial_access_tokens', 'grants'] as const) {
    const { n } = await db.selectFrom(table).select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    t.equal(Number(n), 0, `no ${table}`);
  }
});

t.test('every statement adds up and balances match their last line', async (t) => {
  const accounts = await db.selectFrom('accounts').select(['id', 'public_id', 'account_type_code', 'currency', 'balance', 'withdrawable_amount']).orderBy('public_id').execute();
  for (const a of accounts) {
    const lines = await db.selectFrom('transactions').selectAll().where('account_id', '=', a.id).orderBy('item_key').execute();
    t.ok(lines.length > 0, `${a.public_id} has lines`);
    const problems: string[] = [];
    for (const [i, l] of lines.entries()) {
      if (cents(l.balance_after) < 0n) problems.push(`${l.item_key}: negative balance`);
      if (a.currency === 'JPY' && cents(l.amount) % 100n !== 0n) problems.push(`${l.item_key}: fractional yen`);
      if (l.transaction_date > TODAY) problems.push(`${l.item_key}: in the future`);
      const prev = lines[i - 1];
      if (!prev) continue;
      if (BigInt(l.item_key) <= BigInt(prev.item_key)) problems.push(`${l.item_key}: item key not increasing`);
      const expected = cents(prev.balance_after) + (l.transaction_type === 1 ? 1n : -1n) * cents(l.amount);
      if (cents(l.balance_after) !== expected) problems.push(`${l.item_key}: balance does not follow`);
    }
    t.same(problems, [], `${a.public_id}: every line is consistent`);
    const last = lines.at(-1)!;
    t.equal(a.balance, last.balance_after, `${a.public_id}: balance is the last balance_after`);
    // A time deposit cannot be withdrawn before maturity (seed.ts).
    t.equal(a.withdrawable_amount, a.account_type_code === '11' ? '0.00' : last.balance_after, `${a.public_id}: withdrawable amount`);
    if (a.account_type_code === '01') {
      t.ok(lines[0]!.transaction_date >= addDays(TODAY, -92), `${a.public_id}: starts ${lines[0]!.transaction_date}`);
      t.ok(lines[0]!.transaction_date <= addDays(TODAY, -80), `${a.public_id}: covers about 90 days`);
    }
    if (a.account_type_code === '11') t.equal(lines.length, 1, 'a time deposit has one deposit line');
  }
});

t.test('seeding again changes nothing', async (t) => {
  const before = await snapshot(db);
  const again = await seedDemoData(db, { today: TODAY });
  t.same(again, { today: TODAY, customers: 0, accounts: 0, groups: 0, groupAccountRights: 0, users: 0, partners: 0, transactions: 0 });
  // Even on another day: the statements are there, so no new lines are generated.
  const later = await seedDemoData(db, { today: addDays(TODAY, 5) });
  t.equal(later.transactions, 0);
  t.same(await snapshot(db), before);
});

t.test('two fresh databases seeded for the same day have identical statements', async (t) => {
  const other = await createTestDatabase(t);
  // Two starters at once (the advisory lock): one inserts everything, the other finds it there.
  const runs = await Promise.all([seedDemoData(other.db, { today: TODAY }), seedDemoData(other.db, { today: TODAY })]);
  t.same(runs.map((r) => r.users).sort(), [0, 6], 'the demo data is inserted once');
  t.same(await statements(other.db), await statements(db));
});

/** Every row of every table in the public schema (migration bookkeeping included), in a stable order. */
async function snapshot(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables.rows) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    out[name] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

async function statements(db: Kysely<Database>) {
  return db
    .selectFrom('transactions as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select(['a.public_id', 't.item_key', 't.transaction_date', 't.value_date', 't.transaction_type', 't.amount', 't.balance_after', 't.remarks'])
    .orderBy('a.public_id')
    .orderBy('t.item_key')
    .execute();
}

/** Orders text by code point: PGlite and a server with a locale collation would sort Japanese differently. */
function byteOrder(column: string) {
  return sql`${sql.ref(column)} collate "C"`;
}

/** numeric(18,2) string → exact cents. */
function cents(value: string): bigint {
  const [whole, frac = ''] = value.split('.');
  const v = BigInt(whole!.replace('-', '')) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2));
  return value.startsWith('-') ? -v : v;
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
