import t from 'tap';
import { countGroups, listGroups, listOrdinaryAccounts } from '../../../src/business-id/groups.repository.ts';
import { countMembers, listUsers } from '../../../src/business-id/users.repository.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertAccount, insertCustomer, insertMaster, loginId } from '../../helpers/factories.ts';

// The lists behind グループ一覧 and ユーザー一覧, read without any screen.
t.setTimeout(180_000);

const { db } = await createTestDatabase(t);
const c = await insertCustomer(db);
const other = await insertCustomer(db);
const masterId = await insertMaster(db, c);
const group = (customerId: string, name: string) => db.insertInto('groups').values({ customer_id: customerId, name }).returning('id').executeTakeFirstOrThrow().then((r) => r.id);
const member = (customerId: string, groupId: string, name: string, deleted = false) => db.insertInto('users').values({
  customer_id: customerId, login_id: loginId(), name, email: `${loginId()}@example.test`, role: 'member', group_id: groupId,
  login_password_hash: 'x', deleted_at: deleted ? new Date() : null,
}).returning('id').executeTakeFirstOrThrow().then((r) => r.id);

const gA = await group(c, '振込');
const gB = await group(c, '照会');
const gOther = await group(other, 'よそ');
const u1 = await member(c, gA, '佐藤');
const u2 = await member(c, gA, '鈴木');
await member(c, gA, '削除済み', true);
await member(other, gOther, 'よその人');

t.test('listGroups: this customer only, in creation order, with live members counted and named', async (t) => {
  const groups = await listGroups(db, c);
  t.same(groups.map((g) => g.name), ['振込', '照会']);
  const a = groups[0]!;
  t.equal(Number(a.userCount), 2, 'a deleted user does not count');
  t.same(a.userNames?.split('、').sort(), ['佐藤', '鈴木'].sort());
  t.equal(Number(groups[1]!.userCount), 0);
  t.equal(groups[1]!.userNames, null);
  t.equal(await countGroups(db, c), 2);
  t.equal(await countGroups(db, other), 1);
  t.same(await listGroups(db, await insertCustomer(db)), []);
});

t.test('listUsers: live users, the master first; by group; an id that is not a uuid finds nobody', async (t) => {
  const all = await listUsers(db, c);
  t.equal(all[0]!.id, masterId, 'the master first');
  t.same(all.map((u) => u.id).sort(), [masterId, u1, u2].sort());
  t.equal(all.find((u) => u.id === u1)!.group_name, '振込');
  t.same((await listUsers(db, c, { groupId: gA })).map((u) => u.id).sort(), [u1, u2].sort());
  t.same(await listUsers(db, c, { groupId: gB }), []);
  t.same(await listUsers(db, c, { groupId: gOther }), [], 'never another customer’s group');
  t.same(await listUsers(db, c, { groupId: 'bogus' }), []);
});

t.test('countMembers: live members only (the limit does not count the master)', async (t) => {
  t.equal(await countMembers(db, c), 2);
  t.equal(await countMembers(db, other), 1);
});

t.test('listOrdinaryAccounts: this customer’s 円普通預金, 代表口座 first', async (t) => {
  const plain = await insertAccount(db, c);
  const primary = await insertAccount(db, c, { is_primary: true });
  await insertAccount(db, c, { account_type_code: '11' });
  await insertAccount(db, c, { account_type_code: '51' });
  await insertAccount(db, other);
  const accounts = await listOrdinaryAccounts(db, c);
  t.same(accounts.map((a) => a.id), [primary, plain]);
  t.match(accounts[0], { branch_code: '101', is_primary: true });
});
