import t from 'tap';
import { mayMakeChange, type Actor } from '../../../src/business-id/actor.ts';
import { storedChange, type ChangeKind } from '../../../src/business-id/changes.ts';

// Who may make the certificate changes (seed 003 §3-1): 電子証明書利用申込・解約 and ログイン方法 are セキュリティ関連設定;
// the master's own certificate is the master's; ordering for users comes with グループ・ユーザー権限設定 (user changes).

const base: Actor = {
  id: 'u', customerId: 'c', customerName: '青空商事', customerKind: 'corporate', businessIdActive: true, certificateServiceActive: true,
  loginId: '1000000001', name: '青空 太郎', email: 'm@example.test', role: 'master', status: 'active', groupId: null, groupName: null,
  transactionPasswordLocked: false, lastLoginAt: null, rights: { userAdmin: true, auditLogView: true, importantOperations: true, securitySettings: true },
};
const member = (rights: Partial<Actor['rights']>): Actor => ({
  ...base, role: 'member', groupId: 'g', rights: { userAdmin: false, auditLogView: false, importantOperations: false, securitySettings: false, ...rights },
});
const SECURITY: ChangeKind[] = ['certificate_service.apply', 'certificate_service.cancel', 'login_method.change'];

t.test('the master may make every certificate change', async (t) => {
  for (const kind of [...SECURITY, 'certificate.order_master'] as ChangeKind[]) t.ok(mayMakeChange(base, kind), kind);
});

t.test('セキュリティ関連設定 allows 申込, 解約 and ログイン方法の変更, not the master\'s certificate', async (t) => {
  const security = member({ securitySettings: true });
  for (const kind of SECURITY) t.ok(mayMakeChange(security, kind), kind);
  t.notOk(mayMakeChange(security, 'certificate.order_master'));
});

t.test('重要権限 or グループ・ユーザー権限設定 alone allow none of them', async (t) => {
  for (const m of [member({ importantOperations: true }), member({ userAdmin: true }), member({})]) {
    for (const kind of [...SECURITY, 'certificate.order_master'] as ChangeKind[]) t.notOk(mayMakeChange(m, kind), kind);
  }
  t.ok(mayMakeChange(member({ userAdmin: true }), 'user.update'), 'ordering for users rides on ユーザー編集');
});

t.test('individual customers have none; the new kinds are confirmable stored changes', async (t) => {
  const individual: Actor = { ...base, customerKind: 'individual' };
  for (const kind of [...SECURITY, 'certificate.order_master'] as ChangeKind[]) t.notOk(mayMakeChange(individual, kind), kind);
  t.same(storedChange({ kind: 'login_method.change', payload: { method: 'certificate' } }), { kind: 'login_method.change', payload: { method: 'certificate' } });
  t.same(storedChange({ kind: 'certificate_service.apply', payload: {} }).kind, 'certificate_service.apply');
});
