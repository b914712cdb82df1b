import type { Kysely } from 'kysely';
import t, { type Test } from 'tap';
import type { Database } from '../../../src/db/database.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertAccount, insertCustomer, insertMaster, loginId } from '../../helpers/factories.ts';

// The schema itself makes bad states impossible, whatever code path writes (DESIGN §4–§5).

const { db } = await createTestDatabase(t);

async function rejects(t: Test, p: Promise<unknown>, constraint: RegExp | string, what: string) {
  const err = await p.then(() => undefined, (e: unknown) => e as { code?: string; constraint?: string; message?: string });
  t.ok(err, `${what}: refused`);
  if (err) t.match(`${err.constraint ?? ''} ${err.message ?? ''}`, constraint, `${what}: by ${String(constraint)}`);
}

async function group(db: Kysely<Database>, customerId: string, name = `g${Math.random()}`) {
  return (await db.insertInto('groups').values({ customer_id: customerId, name: name.slice(0, 30) }).returning('id').executeTakeFirstOrThrow()).id;
}

t.test('at most one master user per customer', async (t) => {
  const c = await insertCustomer(db);
  await insertMaster(db, c);
  await rejects(t, insertMaster(db, c), 'users__one_master_per_customer', 'a second master');
});

t.test('login IDs are 10 digits and unique', async (t) => {
  const c = await insertCustomer(db);
  const id = loginId();
  const base = { customer_id: c, name: 'x', email: 'a@b.example', role: 'master' as const, login_password_hash: 'h' };
  await db.insertInto('users').values({ ...base, login_id: id }).execute();
  const c2 = await insertCustomer(db);
  await rejects(t, db.insertInto('users').values({ ...base, customer_id: c2, login_id: id }).execute(), 'users__login_id_unique', 'a duplicate login ID');
  await rejects(t, db.insertInto('users').values({ ...base, customer_id: c2, login_id: '12345' }).execute(), 'users_login_id_check', 'a short login ID');
});

t.test('members belong to a group of their own customer; masters to none', async (t) => {
  const c = await insertCustomer(db);
  const other = await insertCustomer(db);
  const foreignGroup = await group(db, other);
  const base = { customer_id: c, name: 'x', email: 'a@b.example', login_password_hash: 'h' };
  await rejects(t, db.insertInto('users').values({ ...base, login_id: loginId(), role: 'member' }).execute(), 'users__member_has_group', 'a member without group');
  await rejects(t, db.insertInto('users').values({ ...base, login_id: loginId(), role: 'member', group_id: foreignGroup }).execute(), /foreign key|users_group_id_customer_id_fkey/, 'a member in another customer’s group');
  const own = await group(db, c);
  await rejects(t, db.insertInto('users').values({ ...base, login_id: loginId(), role: 'master', group_id: own }).execute(), 'users__master_has_no_group', 'a master in a group');
  await rejects(t, db.insertInto('users').values({ ...base, login_id: loginId(), role: 'member', group_id: own, status: 'active' }).execute(), 'users__active_has_transaction_password', 'an active user without transaction password');
});

t.test('group names are unique per customer, not across customers', async (t) => {
  const a = await insertCustomer(db);
  const b = await insertCustomer(db);
  await group(db, a, '振込');
  await group(db, b, '振込');
  await rejects(t, group(db, a, '振込'), 'groups__name_unique', 'the same name twice');
});

t.test('approval limits: 0 ≤ 自己承認限度額 ≤ 承認限度額, only with 承認権限', async (t) => {
  const c = await insertCustomer(db);
  const ins = (v: Record<string, unknown>) => db.insertInto('groups').values({ customer_id: c, name: `a${Math.random()}`.slice(0, 30), ...v }).execute();
  await ins({ approval_authority: true, approval_limit: 10_000_000, self_approval_limit: 1_000_000 });
  await ins({ approval_authority: true, approval_limit: 1_000_000, self_approval_limit: 0 });
  await rejects(t, ins({ approval_authority: true, approval_limit: 1_000_000, self_approval_limit: 2_000_000 }), 'groups__approval_limits', 'self > approval');
  await rejects(t, ins({ approval_authority: true, approval_limit: 1_000_000, self_approval_limit: -1 }), 'groups__approval_limits', 'negative self limit');
  await rejects(t, ins({ approval_authority: false, approval_limit: 1_000_000, self_approval_limit: 0 }), 'groups__approval_limits', 'limits without authority');
  await rejects(t, ins({ approval_authority: true }), 'groups__approval_limits', 'authority without limits');
  await rejects(t, ins({ fx_operate: true }), 'groups__fx_hierarchy', '外貨 操作 without 照会');
  await rejects(t, ins({ time_deposit_operate: true }), 'groups__time_deposit_hierarchy', '円定期 操作 without 照会');
});

t.test('per-account rights: hierarchy, own 円普通 accounts only', async (t) => {
  const c = await insertCustomer(db);
  const g = await group(db, c);
  const ordinary = await insertAccount(db, c);
  const timeDeposit = await insertAccount(db, c, { account_type_code: '11' });
  const foreign = await insertAccount(db, await insertCustomer(db));
  const right = (account_id: string, v: Record<string, boolean> = {}) =>
    db.insertInto('group_account_rights').values({ group_id: g, customer_id: c, account_id, ...v }).execute();
  await rejects(t, right(ordinary, { inquiry: false }), 'group_account_rights_inquiry_check', 'a row without 照会');
  await rejects(t, right(ordinary, { transfer: true }), 'group_account_rights__hierarchy', '振込・振替 without 操作');
  await rejects(t, right(ordinary, { bulk_transfer: true }), 'group_account_rights__hierarchy', '総合振込 without 操作');
  await rejects(t, right(timeDeposit), /foreign key|fkey/, 'per-account rights on a 円定期 account');
  await rejects(t, right(foreign), /foreign key|fkey/, 'rights on another customer’s account');
  await right(ordinary, { operate: true, transfer: true, bulk_transfer: true });
  t.pass('照会・操作・振込・振替・総合振込 together are fine');
});

t.test('customers: services and login method follow each other', async (t) => {
  const ins = (v: Record<string, unknown>) => db.insertInto('customers').values({ kind: 'corporate', name: 'x', name_kana: 'x', ...v }).execute();
  await rejects(t, ins({ kind: 'individual', business_id_status: 'active' }), 'customers__business_id_corporate', 'business ID for an individual');
  await rejects(t, ins({ certificate_service_status: 'active' }), 'customers__certificate_needs_business_id', 'certificates without business ID');
  await rejects(t, ins({ business_id_status: 'active', login_method: 'certificate' }), 'customers__certificate_login_needs_service', 'certificate login without the service');
});

t.test('accounts: one 代表口座 per customer, public id of 12 digits', async (t) => {
  const c = await insertCustomer(db);
  const id = await insertAccount(db, c, { is_primary: true });
  await rejects(t, insertAccount(db, c, { is_primary: true }), 'accounts__one_primary_per_customer', 'a second primary account');
  const row = await db.selectFrom('accounts').select(['public_id', 'branch_code', 'account_type_code', 'account_number']).where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(row.public_id, `${row.branch_code}${row.account_type_code}${row.account_number}`);
  t.match(row.public_id, /^[0-9]{12}$/);
});

t.test('statement lines can only be appended, and their balances must add up', async (t) => {
  const c = await insertCustomer(db);
  const a = await insertAccount(db, c);
  const line = (item_key: number, transaction_date: string, transaction_type: 1 | 2, amount: number, balance_after: number) =>
    db.insertInto('transactions').values({ account_id: a, item_key, transaction_date, value_date: transaction_date, transaction_type, amount, balance_after }).execute();
  await line(10, '2026-01-05', 1, 1000, 5000);
  await line(11, '2026-01-05', 2, 300, 4700);
  await rejects(t, line(11, '2026-01-06', 1, 1, 4701), /transactions__(item_key_increasing|account_item_key_unique)/, 'a repeated item_key');
  await rejects(t, line(9, '2026-01-06', 1, 1, 4701), 'transactions__item_key_increasing', 'a lower item_key');
  await rejects(t, line(12, '2026-01-04', 1, 1, 4701), 'transactions__date_not_decreasing', 'an earlier date');
  await rejects(t, line(12, '2026-01-06', 1, 100, 9999), 'transactions__running_balance', 'a balance that does not add up');
  await rejects(t, line(12, '2026-01-06', 1, 0, 4700), 'transactions_amount_check', 'a zero amount');
  await rejects(t, line(12, '2026-01-06', 1, 0.5, 4700.5), 'transactions__yen_whole', 'a fraction of a yen');
  await rejects(t, db.updateTable('transactions').set({ amount: 1 } as never).where('account_id', '=', a).execute(), 'transactions__immutable', 'an update');
  await rejects(t, db.deleteFrom('transactions').where('account_id', '=', a).execute(), 'transactions__immutable', 'a delete');
  const acc = await db.selectFrom('accounts').select('balance').where('id', '=', a).executeTakeFirstOrThrow();
  t.equal(acc.balance, '4700.00', 'the account balance follows the last line');
});

t.test('the audit trail is append-only', async (t) => {
  await db.insertInto('audit_events').values({ type: 'test.event' }).execute();
  await rejects(t, db.deleteFrom('audit_events').execute(), 'audit_events__append_only', 'a delete');
  await rejects(t, db.updateTable('audit_events').set({ type: 'x' } as never).execute(), 'audit_events__append_only', 'an update');
});

t.test('one active grant per user and client', async (t) => {
  const c = await insertCustomer(db);
  const u = await insertMaster(db, c);
  const p = await db.insertInto('partners').values({ legal_name: `p${Math.random()}`, service_name: 's' }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('oauth_clients').values({ client_id: `client-${Math.random()}`, partner_id: p.id, metadata: '{}', allowed_scopes: ['balances'] }).execute();
  const client = (await db.selectFrom('oauth_clients').select('client_id').where('partner_id', '=', p.id).executeTakeFirstOrThrow()).client_id;
  const grant = (over: Record<string, unknown> = {}) => db.insertInto('grants').values({
    user_id: u, client_id: client, scopes: ['balances'], expires_at: new Date(Date.now() + 86_400_000), ...over,
  }).returning('id').executeTakeFirstOrThrow();
  const first = await grant();
  await rejects(t, grant(), 'grants__one_active_per_user_client', 'a second active grant');
  await db.updateTable('grants').set({ revoked_at: new Date(), revoked_by: 'system' }).where('id', '=', first.id).execute();
  await grant();
  t.pass('a new grant after the previous one was revoked');
  await rejects(t, grant({ scopes: [] }), 'grants_scopes_check', 'a grant without scopes');
  await rejects(t, db.insertInto('oauth_clients').values({ client_id: `c-${Math.random()}`, partner_id: p.id, metadata: '{}', allowed_scopes: ['admin'] }).execute(), 'oauth_clients__scopes_known', 'an unknown scope');
});
