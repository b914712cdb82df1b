import t from 'tap';
import { mayMakeChange, type Actor } from '../../../src/business-id/actor.ts';
import { storedChange, type ChangeKind } from '../../../src/business-id/changes.ts';

// Who may enter and confirm which change (the policy the confirmation screen applies), without HTTP.

const base: Actor = {
  id: 'u', customerId: 'c', customerName: '青空商事', customerKind: 'corporate', businessIdActive: true, certificateServiceActive: false,
  loginId: '1000000001', name: '青空 太郎', email: 'm@example.test', role: 'master', status: 'active', groupId: null, groupName: null,
  transactionPasswordLocked: false, lastLoginAt: null, rights: { userAdmin: true, auditLogView: true, importantOperations: true, securitySettings: true },
};
const member = (rights: Partial<Actor['rights']>): Actor => ({
  ...base, role: 'member', groupId: 'g', rights: { userAdmin: false, auditLogView: false, importantOperations: false, securitySettings: false, ...rights },
});

/** ビジネスID管理 申込・解約: オプションサービス under 重要権限 (seed 003 §3-1 row 4). */
const OPTION_SERVICE: ChangeKind[] = ['business_id.apply', 'business_id.cancel'];
/** 電子証明書利用申込・解約: セキュリティ関連設定 (row 5). */
const SECURITY: ChangeKind[] = ['certificate_service.cancel'];
const SETTINGS: ChangeKind[] = [...OPTION_SERVICE, ...SECURITY];
const BUSINESS_ID: ChangeKind[] = ['group.create', 'group.update', 'group.delete', 'user.create', 'user.update', 'user.delete', 'password.login_reset', 'password.transaction_reset'];

t.test('the corporate master may make every change', async (t) => {
  for (const kind of [...SETTINGS, ...BUSINESS_ID]) t.ok(mayMakeChange(base, kind), kind);
});

t.test('グループ・ユーザー権限設定 allows group and user changes, not お客さま情報 changes', async (t) => {
  const admin = member({ userAdmin: true });
  for (const kind of BUSINESS_ID) t.ok(mayMakeChange(admin, kind), kind);
  for (const kind of SETTINGS) t.notOk(mayMakeChange(admin, kind), kind);
});

t.test('重要権限 allows the オプションサービス changes only (not 電子証明書 解約, not groups and users)', async (t) => {
  const important = member({ importantOperations: true });
  for (const kind of OPTION_SERVICE) t.ok(mayMakeChange(important, kind), kind);
  for (const kind of [...SECURITY, ...BUSINESS_ID]) t.notOk(mayMakeChange(important, kind), kind);
});

t.test('セキュリティ関連設定 allows 電子証明書 解約 (seed 003 §3-1 row 5) and nothing else', async (t) => {
  const security = member({ securitySettings: true });
  for (const kind of SECURITY) t.ok(mayMakeChange(security, kind), kind);
  for (const kind of [...OPTION_SERVICE, ...BUSINESS_ID]) t.notOk(mayMakeChange(security, kind), kind);
});

t.test('without ビジネスID管理, only its 申込 side (お客さま情報) is open; individuals have neither', async (t) => {
  const inactive = { ...base, businessIdActive: false };
  for (const kind of BUSINESS_ID) t.notOk(mayMakeChange(inactive, kind), kind);
  for (const kind of SETTINGS) t.ok(mayMakeChange(inactive, kind), kind);
  const individual: Actor = { ...base, customerKind: 'individual' };
  for (const kind of [...SETTINGS, ...BUSINESS_ID]) t.notOk(mayMakeChange(individual, kind), kind);
  t.notOk(mayMakeChange(member({}), 'group.create'), 'a member without rights');
  t.notOk(mayMakeChange(member({ importantOperations: true }), 'something.else'), 'an unknown kind needs ビジネスID管理 rights');
});

t.test('a stored change of an unknown kind cannot be confirmed', async (t) => {
  t.same(storedChange({ kind: 'group.delete', payload: { groupIds: ['x'] } }), { kind: 'group.delete', payload: { groupIds: ['x'] } });
  t.throws(() => storedChange({ kind: 'customer.delete', payload: {} }), { code: 'change_expired' });
  t.throws(() => storedChange({ kind: 'toString', payload: {} }), { code: 'change_expired' }, 'not fooled by Object.prototype');
});
