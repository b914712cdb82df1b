import t from 'tap';
import { passwordViolations, PASSWORD_SYMBOLS } from '../../../src/auth/password-policy.ts';
import { loadActor, type Actor } from '../../../src/business-id/actor.ts';
import { checkChange, temporaryPassword, type Change } from '../../../src/business-id/changes.ts';
import { canonicalJson, deriveCodeKey, subjectHashOf } from '../../../src/business-id/confirmations.service.ts';
import { NO_OTHER_RIGHTS, type GroupPermissions } from '../../../src/business-id/permissions.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { codeHash } from '../../../src/shared/secret-hash.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// argon2 hashes and an embedded database per file: generous under a loaded CI machine.
t.setTimeout(180_000);

const bounds = { minLength: 8, maxLength: 32 };

t.test('password rules of seed 003 §4-4 and DESIGN §5', async (t) => {
  t.same(passwordViolations('Aozora2024', bounds), []);
  t.same(passwordViolations(`Ab1${PASSWORD_SYMBOLS}`.slice(0, 32), bounds), [], 'every listed symbol is allowed');
  t.equal(passwordViolations('abcdefgh', bounds).length, 1, 'no digit');
  t.equal(passwordViolations('12345678', bounds).length, 1, 'no letter');
  t.equal(passwordViolations('Ab1', bounds).length, 1, 'too short');
  t.equal(passwordViolations(`Ab1${'x'.repeat(30)}`, bounds).length, 1, 'too long');
  for (const bad of ['Abcdefg1&', 'Abcdefg1?', 'Abcdefg1\\', 'Abcdefg1 ', 'Abcdefg1あ', 'Ａbcdefg1']) {
    t.equal(passwordViolations(bad, bounds).length, 1, `not allowed: ${bad}`);
  }
  t.same(passwordViolations('Abc12', { minLength: 5, maxLength: 6 }), [], 'bounds are configuration');
});

t.test('confirmation binding: canonical JSON, subject hashes, code hashes', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }], u: undefined }), '{"a":[{"c":"x","d":2}],"b":1}');
  t.equal(subjectHashOf('id', 'k', { a: 1, b: 2 }), subjectHashOf('id', 'k', { b: 2, a: 1 }), 'key order does not matter');
  t.not(subjectHashOf('id', 'k', { a: 1 }), subjectHashOf('id', 'k', { a: 2 }), 'the change does');
  t.not(subjectHashOf('id1', 'k', { a: 1 }), subjectHashOf('id2', 'k', { a: 1 }), 'and which change it is');
  const key = deriveCodeKey(Buffer.alloc(32, 1));
  t.not(key.toString('hex'), Buffer.alloc(32, 1).toString('hex'));
  t.not(codeHash(key, 'row1', '123456'), codeHash(key, 'row2', '123456'), 'a code is bound to its row');
  t.match(codeHash(key, 'row1', '123456'), /^[0-9a-f]{64}$/);
});

t.test('temporary passwords meet the rules', async (t) => {
  for (let i = 0; i < 200; i++) t.same(passwordViolations(temporaryPassword(), bounds), []);
});

t.test('domain rules for every actor, checked without any screen', async (t) => {
  const { db } = await createTestDatabase(t);
  await seedDemoData(db, { today: '2026-11-20' });
  const actorOf = async (loginId: string): Promise<Actor> => {
    const u = await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow();
    return (await loadActor(db, u.id))!;
  };
  const master = await actorOf('1000000001');
  const admin = await actorOf('1000000004');
  const g = async (name: string) => (await db.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  const none: GroupPermissions = { accounts: [], approval: { authority: false }, timeDeposit: { inquiry: false, operate: false }, fx: { inquiry: false, operate: false }, other: { ...NO_OTHER_RIGHTS } };
  const id = (login: string) => db.selectFrom('users').select('id').where('login_id', '=', login).executeTakeFirstOrThrow().then((r) => r.id);

  const refused: [Actor, Change, string][] = [
    [master, { kind: 'group.create', payload: { name: 'x', permissions: { ...none, approval: { authority: true, limitYen: 100, selfLimitYen: 101 } } } }, 'invalid_permissions'],
    [master, { kind: 'group.create', payload: { name: 'x', permissions: { ...none, timeDeposit: { inquiry: false, operate: true } } } }, 'invalid_permissions'],
    [master, { kind: 'group.create', payload: { name: '振込', permissions: none } }, 'group_name_taken'],
    [master, { kind: 'group.update', payload: { groupId: await g('振込'), version: 1, name: 'グループユーザー', permissions: none } }, 'group_name_taken'],
    [admin, { kind: 'group.update', payload: { groupId: admin.groupId!, version: 1, name: 'グループユーザー', permissions: none } }, 'self_protection'],
    [admin, { kind: 'group.delete', payload: { groupIds: [admin.groupId!] } }, 'self_protection'],
    [master, { kind: 'group.delete', payload: { groupIds: [] } }, 'invalid_parameter'],
    [admin, { kind: 'user.delete', payload: { userIds: [admin.id] } }, 'self_protection'],
    [admin, { kind: 'user.delete', payload: { userIds: [master.id] } }, 'master_protected'],
    [master, { kind: 'user.delete', payload: { userIds: [master.id] } }, 'self_protection'],
    [admin, { kind: 'password.login_reset', payload: { userIds: [master.id] } }, 'master_protected'],
    [admin, { kind: 'password.transaction_reset', payload: { userIds: [admin.id] } }, 'self_protection'],
    [admin, { kind: 'user.update', payload: { users: [{ userId: admin.id, version: 1, name: 'n', email: 'n@example.test', groupId: await g('振込') }] } }, 'self_protection'],
    [admin, { kind: 'user.update', payload: { users: [{ userId: master.id, version: 1, name: 'n', email: 'evil@example.test', groupId: null }] } }, 'master_protected'],
    [master, { kind: 'user.update', payload: { users: [{ userId: master.id, version: 1, name: 'n', email: 'n@example.test', groupId: await g('振込') }] } }, 'invalid_parameter'],
    [master, { kind: 'user.update', payload: { users: [{ userId: await id('1000000002'), version: 1, name: 'n', email: 'n@example.test', groupId: null }] } }, 'invalid_parameter'],
    [admin, { kind: 'business_id.apply', payload: { certificate: false } }, 'forbidden'],
    [master, { kind: 'business_id.apply', payload: { certificate: false } }, 'business_id_already_active'],
    [admin, { kind: 'business_id.cancel', payload: {} }, 'forbidden'],
    [master, { kind: 'certificate_service.cancel', payload: {} }, 'conflict'],
    [admin, { kind: 'certificate_service.cancel', payload: {} }, 'forbidden'],
  ];
  for (const [actor, change, code] of refused) {
    await t.rejects(checkChange(db, actor, change), { code }, `${actor.loginId} ${change.kind} → ${code}`);
  }
  await t.resolves(checkChange(db, admin, { kind: 'user.update', payload: { users: [{ userId: admin.id, version: 1, name: 'n', email: 'n@example.test', groupId: admin.groupId }] } }));
  await t.resolves(checkChange(db, master, { kind: 'group.update', payload: { groupId: admin.groupId!, version: 1, name: 'グループユーザー', permissions: none } }), 'the master may take the right away');
  await t.resolves(checkChange(db, master, { kind: 'group.delete', payload: { groupIds: [admin.groupId!] } }));
  await t.rejects(checkChange(db, { ...master, certificateServiceActive: true }, { kind: 'business_id.cancel', payload: {} }), { code: 'certificate_service_active' });
  await t.rejects(checkChange(db, { ...master, businessIdActive: false }, { kind: 'business_id.cancel', payload: {} }), { code: 'business_id_not_active' });
  // Seed 003 §3-1: 重要権限 covers オプションサービスの申込・解約, not only the master.
  const important = { ...admin, rights: { ...admin.rights, importantOperations: true } };
  await t.resolves(checkChange(db, important, { kind: 'business_id.cancel', payload: {} }), '重要権限 may cancel ビジネスID管理');
  await t.rejects(checkChange(db, { ...important, certificateServiceActive: true }, { kind: 'business_id.cancel', payload: {} }), { code: 'certificate_service_active' });
});

t.test('updateGroup refuses on its own what the screens already check (defence in depth)', async (t) => {
  const { updateGroup, readGroup } = await import('../../../src/business-id/groups.service.ts');
  const { db } = await createTestDatabase(t);
  await seedDemoData(db, { today: '2026-11-20' });
  const corp = await db.selectFrom('customers').select('id').where('kind', '=', 'corporate').where('name', '=', '青空商事株式会社').executeTakeFirstOrThrow();
  const groups = await db.selectFrom('groups').select(['id', 'name']).where('customer_id', '=', corp.id).orderBy('name').execute();
  const none: GroupPermissions = { accounts: [], approval: { authority: false }, timeDeposit: { inquiry: false, operate: false }, fx: { inquiry: false, operate: false }, other: { ...NO_OTHER_RIGHTS } };
  const base = { customerId: corp.id, groupId: groups[0]!.id, name: 'ok', permissions: none };
  await t.rejects(updateGroup(db, { ...base, groupId: 'nope' }), { code: 'not_found' });
  await t.rejects(updateGroup(db, { ...base, groupId: '00000000-0000-4000-8000-000000000000' }), { code: 'not_found' });
  await t.rejects(updateGroup(db, { ...base, name: ' ' }), { code: 'invalid_parameter' });
  await t.rejects(updateGroup(db, { ...base, name: groups[1]!.name }), { code: 'group_name_taken' });
  await t.rejects(updateGroup(db, { ...base, permissions: { ...none, fx: { inquiry: false, operate: true } } }), { code: 'invalid_permissions' });
  t.equal(await readGroup(db, corp.id, 'nope'), undefined);
  t.equal(await readGroup(db, corp.id, '00000000-0000-4000-8000-000000000000'), undefined);
});
