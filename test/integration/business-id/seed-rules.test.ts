import t from 'tap';
import { loadActor, type Actor } from '../../../src/business-id/actor.ts';
import { applyChange, checkChange, type Change } from '../../../src/business-id/changes.ts';
import { confirmChange, deriveCodeKey, issueMailToken, loadPendingChange, proposeChange } from '../../../src/business-id/confirmations.service.ts';
import { createGroup } from '../../../src/business-id/groups.service.ts';
import { NO_OTHER_RIGHTS, validatePermissions, type GroupPermissions } from '../../../src/business-id/permissions.ts';
import { listUsers } from '../../../src/business-id/users.repository.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { inTransaction } from '../../../src/db/transaction.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// The seed 003 rules of this file, checked on the domain functions without any screen.

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const none: GroupPermissions = { accounts: [], approval: { authority: false }, timeDeposit: { inquiry: false, operate: false }, fx: { inquiry: false, operate: false }, other: { ...NO_OTHER_RIGHTS } };
const approval = { authority: true, limitYen: 10_000_000, selfLimitYen: 1_000_000 } as const;
const account = (rights: { operate?: boolean; transfer?: boolean; bulkTransfer?: boolean }) => ({ accountId: 'a', inquiry: true, operate: false, transfer: false, bulkTransfer: false, ...rights });

t.test('※2: 承認権限 あり needs 振込・振替 or 総合振込 on some account (seed 003 §3-1)', async (t) => {
  const refused = (p: GroupPermissions) => validatePermissions(p).filter((v) => v.field === 'approval.authority');
  t.equal(refused({ ...none, approval }).length, 1, 'no account at all');
  t.equal(refused({ ...none, approval, accounts: [account({ operate: true })] }).length, 1, '照会・操作 only');
  const [v] = refused({ ...none, approval, accounts: [account({})] });
  t.match(v?.message.ja, '振込・振替');
  t.notMatch(v?.message.en, /[ぁ-んァ-ヶ]/, 'the English message has no Japanese fragments');
  t.same(refused({ ...none, approval, accounts: [account({ operate: true, transfer: true })] }), [], 'with 振込・振替');
  t.same(refused({ ...none, approval, accounts: [account({ operate: true, bulkTransfer: true })] }), [], 'with 総合振込');
  t.same(refused({ ...none, approval: { authority: false }, accounts: [] }), [], '承認権限 なし needs nothing');
  for (const v of validatePermissions({ ...none, accounts: [account({ transfer: true, bulkTransfer: true }), { ...account({}), inquiry: false, operate: true }], timeDeposit: { inquiry: false, operate: true }, fx: { inquiry: false, operate: true } })) {
    t.notMatch(v.message.en, /[ぁ-んァ-ヶ一-龯]/, `English without Japanese: ${v.message.en}`);
  }
});

t.test('on the seeded customer', async (t) => {
  const { db } = await createTestDatabase(t);
  await seedDemoData(db, { today: '2026-11-20' });
  const codeKey = deriveCodeKey(Buffer.alloc(32, 7));
  const actorOf = async (loginId: string): Promise<Actor> => {
    const u = await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow();
    return (await loadActor(db, u.id))!;
  };
  const master = await actorOf('1000000001');
  const admin = await actorOf('1000000004');
  const groupId = async (name: string) => (await db.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  const apply = (actor: Actor, change: Change) => inTransaction(db, (trx) => applyChange(trx, { actor, codeKey, publicUrl: 'https://ib.example' }, change));

  t.test('checkChange refuses 承認権限 without 振込 rights', async (t) => {
    await t.rejects(checkChange(db, master, { kind: 'group.create', payload: { name: '承認だけ', permissions: { ...none, approval } } }), { code: 'invalid_permissions' });
  });

  t.test('セキュリティ関連設定 is what lets a member cancel the certificate service', async (t) => {
    t.equal(admin.rights.securitySettings, false);
    await t.rejects(checkChange(db, admin, { kind: 'certificate_service.cancel', payload: {} }), { code: 'forbidden' });
    const security = { ...admin, rights: { ...admin.rights, securitySettings: true }, certificateServiceActive: true };
    await t.resolves(checkChange(db, security, { kind: 'certificate_service.cancel', payload: {} }));
    const important = { ...admin, rights: { ...admin.rights, importantOperations: true }, certificateServiceActive: true };
    await t.rejects(checkChange(db, important, { kind: 'certificate_service.cancel', payload: {} }), { code: 'forbidden' }, '重要権限 alone is not enough');
  });

  t.test('取引パスワード reset is told apart from a first setup in ユーザー一覧', async (t) => {
    const user1 = await actorOf('1000000002');
    await apply(master, { kind: 'password.transaction_reset', payload: { userIds: [user1.id] } });
    const created = await apply(master, { kind: 'user.create', payload: { users: [{ name: '新人', email: 'new@example.test', groupId: await groupId('振込') }] } });
    const rows = await listUsers(db, master.customerId);
    const reset = rows.find((r) => r.id === user1.id)!;
    t.equal(reset.status, 'setup_required');
    t.equal(reset.transaction_reset_pending, true, 'the administrator reset it');
    const newcomer = rows.find((r) => r.login_id === (created.summary.created as { loginId: string }[])[0]!.loginId)!;
    t.equal(newcomer.status, 'setup_required');
    t.equal(newcomer.transaction_reset_pending, false, 'a new user waits for the first setup');
    t.equal(rows.find((r) => r.id === master.id)!.transaction_reset_pending, false);
  });

  t.test('a group administrator moving into a stronger group is allowed and marked in the audit', async (t) => {
    const all = { ...none, timeDeposit: { inquiry: true, operate: true }, fx: { inquiry: true, operate: true }, other: Object.fromEntries(Object.keys(NO_OTHER_RIGHTS).map((k) => [k, true])) as unknown as GroupPermissions['other'] };
    const strong = await createGroup(db, { customerId: master.customerId, name: '全権限', permissions: all });
    const version = async () => (await db.selectFrom('users').select('version').where('id', '=', admin.id).executeTakeFirstOrThrow()).version;
    await apply(admin, { kind: 'user.update', payload: { users: [{ userId: admin.id, version: await version(), name: admin.name, email: admin.email, groupId: strong }] } });
    const ev = await db.selectFrom('audit_events').select('details').where('type', '=', 'user.updated').where('subject_user_id', '=', admin.id).orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    t.equal(ev.details['selfGroupChange'], true);
    await apply(master, { kind: 'user.update', payload: { users: [{ userId: admin.id, version: await version(), name: admin.name, email: admin.email, groupId: admin.groupId }] } });
    const byMaster = await db.selectFrom('audit_events').select('details').where('type', '=', 'user.updated').where('subject_user_id', '=', admin.id).orderBy('occurred_at', 'desc').executeTakeFirstOrThrow();
    t.notOk('selfGroupChange' in byMaster.details, 'the master moving someone is not marked');
  });

  t.test('deleting two groups at once records each group’s own number of deleted users', async (t) => {
    const a = await groupId('円普通照会 書面発行');
    const b = await groupId('振込');
    const count = async (g: string) => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('group_id', '=', g).where('deleted_at', 'is', null).executeTakeFirstOrThrow()).n);
    const [na, nb] = [await count(a), await count(b)];
    t.not(na, nb, 'the groups differ in size, so a shared total would show');
    await apply(master, { kind: 'group.delete', payload: { groupIds: [a, b] } });
    const events = await db.selectFrom('audit_events').select('details').where('type', '=', 'group.deleted').execute();
    const byGroup = Object.fromEntries(events.map((e) => [e.details['groupId'], e.details['deletedUsers']]));
    t.same(byGroup, { [a]: na, [b]: nb });
  });

  t.test('the 5th wrong メールトークン says the tries are used up, and so does every try after it', async (t) => {
    const id = await proposeChange(db, master, 'group.create', { name: 'トークン', permissions: none });
    await issueMailToken(db, codeKey, master, await loadPendingChange(db, master, id));
    const attempt = () => confirmChange(db, { codeKey, actor: master, changeId: id, transactionPassword: 'Torihiki2024', mailToken: '000000' }, async () => 'applied');
    for (let i = 1; i < 5; i++) {
      const err = await attempt().catch((e: unknown) => e);
      t.match(err, { code: 'mail_token_invalid' });
      t.notMatch((err as Error).message, /5 times/, `try ${i}: not yet used up`);
    }
    for (const n of [5, 6]) {
      const err = await attempt().catch((e: unknown) => e) as { code: string; localized(lang: string): string };
      t.equal(err.code, 'mail_token_invalid');
      t.match(err.localized('ja'), '入力回数が上限（5回）', `try ${n}: used up`);
      t.match(err.localized('en'), '5 times');
    }
  });
});
