import t, { type Test } from 'tap';
import { createGroup, MAX_GROUPS_PER_CUSTOMER } from '../../../src/business-id/groups.service.ts';
import { NO_OTHER_RIGHTS, type GroupPermissions } from '../../../src/business-id/permissions.ts';
import { createUser, MAX_USERS_PER_CUSTOMER } from '../../../src/business-id/users.service.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertAccount, insertCustomer, insertMaster } from '../../helpers/factories.ts';

const { db } = await createTestDatabase(t);

const none: GroupPermissions = {
  accounts: [],
  approval: { authority: false },
  timeDeposit: { inquiry: false, operate: false },
  fx: { inquiry: false, operate: false },
  other: NO_OTHER_RIGHTS,
};

async function refusedWith(t: Test, p: Promise<unknown>, status: number, code: string) {
  const err = await p.then(() => undefined, (e: unknown) => e);
  t.type(err, AppError, `refused with an AppError (${code})`);
  if (err instanceof AppError) {
    t.equal(err.status, status);
    t.equal(err.code, code);
    t.ok(err.messages.ja.length > 0 && err.messages.en.length > 0, 'with a message in both languages');
  }
  return err as AppError;
}

t.test('the 101st group is refused with a clear error, and nothing is written', async (t) => {
  const c = await insertCustomer(db);
  for (let i = 1; i <= MAX_GROUPS_PER_CUSTOMER; i++) await createGroup(db, { customerId: c, name: `グループ${i}`, permissions: none });
  await refusedWith(t, createGroup(db, { customerId: c, name: 'グループ101', permissions: none }), 409, 'group_limit_reached');
  const { n } = await db.selectFrom('groups').select((eb) => eb.fn.countAll<string>().as('n')).where('customer_id', '=', c).executeTakeFirstOrThrow();
  t.equal(Number(n), 100);
});

t.test('concurrent creations cannot exceed the group limit', async (t) => {
  const c = await insertCustomer(db);
  for (let i = 1; i <= 98; i++) await createGroup(db, { customerId: c, name: `g${i}`, permissions: none });
  const results = await Promise.allSettled([1, 2, 3, 4].map((i) => createGroup(db, { customerId: c, name: `race${i}`, permissions: none })));
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 2, 'exactly two of four fit');
  t.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'group_limit_reached'));
});

t.test('the 101st user is refused; the master does not count', async (t) => {
  const c = await insertCustomer(db);
  await insertMaster(db, c);
  const g = await createGroup(db, { customerId: c, name: '照会', permissions: none });
  for (let i = 1; i <= MAX_USERS_PER_CUSTOMER; i++) {
    await createUser(db, { customerId: c, groupId: g, name: `利用者${i}`, email: `u${i}@example.test`, initialPassword: 'Temp1234pass' });
  }
  await refusedWith(t, createUser(db, { customerId: c, groupId: g, name: '101人目', email: 'u101@example.test', initialPassword: 'Temp1234pass' }), 409, 'user_limit_reached');
  const users = await db.selectFrom('users').select(['login_id', 'status', 'role']).where('customer_id', '=', c).execute();
  t.equal(users.length, 101, '100 members + the master');
  t.ok(users.every((u) => /^[1-9][0-9]{9}$/.test(u.login_id)), 'login IDs are 10 digits');
  t.equal(new Set(users.map((u) => u.login_id)).size, 101, 'and unique');
  t.ok(users.filter((u) => u.role === 'member').every((u) => u.status === 'setup_required'), 'new users must do the first-login setup');
});

t.test('rights hierarchy violations sent straight to the service are refused', async (t) => {
  const c = await insertCustomer(db);
  const a = await insertAccount(db, c);
  const cases: Array<[string, Partial<GroupPermissions>]> = [
    ['操作 without 照会', { accounts: [{ accountId: a, inquiry: false, operate: true, transfer: false, bulkTransfer: false }] }],
    ['振込・振替 without 操作', { accounts: [{ accountId: a, inquiry: true, operate: false, transfer: true, bulkTransfer: false }] }],
    ['総合振込 without 操作', { accounts: [{ accountId: a, inquiry: true, operate: false, transfer: false, bulkTransfer: true }] }],
    ['自己承認限度額 > 承認限度額', { approval: { authority: true, limitYen: 1_000_000, selfLimitYen: 1_000_001 } }],
    ['a negative limit', { approval: { authority: true, limitYen: -1, selfLimitYen: 0 } }],
    ['円定期 操作 without 照会', { timeDeposit: { inquiry: false, operate: true } }],
    ['外貨 操作 without 照会', { fx: { inquiry: false, operate: true } }],
    ['the same account twice', { accounts: [
      { accountId: a, inquiry: true, operate: false, transfer: false, bulkTransfer: false },
      { accountId: a, inquiry: true, operate: false, transfer: false, bulkTransfer: false }] }],
  ];
  for (const [what, change] of cases) {
    const err = await refusedWith(t, createGroup(db, { customerId: c, name: what.slice(0, 30), permissions: { ...none, ...change } }), 400, 'invalid_permissions');
    t.ok(err.messages.ja.length > 5, `${what}: explained`);
  }
  const { n } = await db.selectFrom('groups').select((eb) => eb.fn.countAll<string>().as('n')).where('customer_id', '=', c).executeTakeFirstOrThrow();
  t.equal(Number(n), 0, 'no group was written');
});

t.test('rights only on the customer’s own 円普通 accounts', async (t) => {
  const c = await insertCustomer(db);
  const foreign = await insertAccount(db, await insertCustomer(db));
  const timeDeposit = await insertAccount(db, c, { account_type_code: '11' });
  for (const accountId of [foreign, timeDeposit, 'not-a-uuid']) {
    await refusedWith(t, createGroup(db, { customerId: c, name: `x${accountId.slice(0, 8)}`, permissions: { ...none, accounts: [{ accountId, inquiry: true, operate: false, transfer: false, bulkTransfer: false }] } }), 400, 'invalid_permissions');
  }
});

t.test('a full, consistent group is stored with its rights', async (t) => {
  const c = await insertCustomer(db);
  const a = await insertAccount(db, c);
  const b = await insertAccount(db, c);
  const id = await createGroup(db, {
    customerId: c,
    name: ' 振込 ',
    permissions: {
      accounts: [
        { accountId: a, inquiry: true, operate: true, transfer: true, bulkTransfer: true },
        { accountId: b, inquiry: false, operate: false, transfer: false, bulkTransfer: false },
      ],
      approval: { authority: true, limitYen: 10_000_000, selfLimitYen: 1_000_000 },
      timeDeposit: { inquiry: true, operate: false },
      fx: { inquiry: true, operate: true },
      other: { ...NO_OTHER_RIGHTS, userAdmin: true, documentIssuance: true },
    },
  });
  const g = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.equal(g.name, '振込', 'name trimmed');
  t.equal(g.approval_limit, '10000000');
  t.equal(g.self_approval_limit, '1000000');
  t.equal(g.user_admin, true);
  const rights = await db.selectFrom('group_account_rights').selectAll().where('group_id', '=', id).execute();
  t.equal(rights.length, 1, 'an account without 照会 has no row');
  t.match(rights[0], { account_id: a, inquiry: true, operate: true, transfer: true, bulk_transfer: true });
  await refusedWith(t, createGroup(db, { customerId: c, name: '振込', permissions: none }), 409, 'group_name_taken');
});

t.test('groups and users need a corporate customer with ビジネスID管理', async (t) => {
  const individual = await insertCustomer(db, { kind: 'individual' });
  const notApplied = await insertCustomer(db, { business_id_status: 'none' });
  await refusedWith(t, createGroup(db, { customerId: individual, name: 'x', permissions: none }), 409, 'business_id_not_active');
  await refusedWith(t, createGroup(db, { customerId: notApplied, name: 'x', permissions: none }), 409, 'business_id_not_active');
  await refusedWith(t, createGroup(db, { customerId: '00000000-0000-4000-8000-000000000000', name: 'x', permissions: none }), 404, 'not_found');
  await refusedWith(t, createGroup(db, { customerId: notApplied, name: '   ', permissions: none }), 400, 'invalid_parameter');
  const c = await insertCustomer(db);
  const otherGroup = await createGroup(db, { customerId: await insertCustomer(db), name: 'よそ', permissions: none });
  await refusedWith(t, createUser(db, { customerId: c, groupId: otherGroup, name: 'x', email: 'x@example.test', initialPassword: 'Temp1234pass' }), 400, 'invalid_parameter');
});
