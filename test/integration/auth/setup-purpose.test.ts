import t from 'tap';
import { completeFirstLoginSetup } from '../../../src/auth/passwords.service.ts';
import { completeTransactionPasswordReset, setupPurpose } from '../../../src/auth/setup-purpose.ts';
import { recordAudit } from '../../../src/audit/audit.repository.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { verifySecret } from '../../../src/shared/secret-hash.ts';
import { createTestDatabase } from '../../helpers/database.ts';

t.setTimeout(120_000);
const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const bounds = { minLength: 8, maxLength: 32 };
const user = await db.selectFrom('users').select(['id', 'customer_id', 'login_id', 'login_password_hash']).where('login_id', '=', '1000000003').executeTakeFirstOrThrow();
const master = await db.selectFrom('users').select('id').where('login_id', '=', '1000000001').executeTakeFirstOrThrow();

/** What the administrator's 取引パスワード再設定 does to the user (src/business-id/changes.ts). */
async function resetTransactionPassword() {
  await db.updateTable('users').set({ transaction_password_hash: null, status: 'setup_required' }).where('id', '=', user.id).execute();
  await recordAudit(db, { type: 'password.transaction_reset', customerId: user.customer_id, actorUserId: master.id, subjectUserId: user.id });
}

t.test('a user whose 取引パスワード alone was reset re-sets only that; a new user does 初回ログイン時の設定', async (t) => {
  t.equal(await setupPurpose(db, user.id), 'first_login', 'before any reset (a seeded user)');
  await resetTransactionPassword();
  t.equal(await setupPurpose(db, user.id), 'transaction_password_reset');
  await t.rejects(completeFirstLoginSetup(db, {
    userId: user.id, bounds, transactionPassword: 'NewTx2026', transactionPasswordConfirm: 'NewTx2026', newLoginPassword: 'Other2026x', newLoginPasswordConfirm: 'Other2026x',
  }), { code: 'conflict' }, 'no login-password change through 初回ログイン時の設定 after a 取引パスワード reset');
  await t.rejects(completeTransactionPasswordReset(db, { userId: user.id, bounds, transactionPassword: 'NewTx2026', transactionPasswordConfirm: 'NewTx2027' }), { code: 'password_policy' });
  await t.rejects(completeTransactionPasswordReset(db, { userId: user.id, bounds, transactionPassword: 'User2pass2024', transactionPasswordConfirm: 'User2pass2024' }), { code: 'password_policy' }, 'not the login password');
  await completeTransactionPasswordReset(db, { userId: user.id, bounds, transactionPassword: 'NewTx2026', transactionPasswordConfirm: 'NewTx2026' });
  const after = await db.selectFrom('users').select(['status', 'transaction_password_hash', 'login_password_hash']).where('id', '=', user.id).executeTakeFirstOrThrow();
  t.equal(after.status, 'active');
  t.ok(await verifySecret(after.transaction_password_hash!, 'NewTx2026'));
  t.equal(after.login_password_hash, user.login_password_hash, 'the login password is untouched');
  t.equal(await setupPurpose(db, user.id), 'first_login', 'done: a later setup would be a first-login one again');
  await t.rejects(completeTransactionPasswordReset(db, { userId: user.id, bounds, transactionPassword: 'NewTx2028', transactionPasswordConfirm: 'NewTx2028' }), { code: 'conflict' }, 'only while the reset is pending');
});

t.test('a login-password reset completed after a 取引パスワード reset leads to 初回ログイン時の設定 (seed §4-4)', async (t) => {
  await resetTransactionPassword();
  await recordAudit(db, { type: 'password.login_reset_completed', customerId: user.customer_id, actorUserId: user.id });
  t.equal(await setupPurpose(db, user.id), 'first_login');
  await t.rejects(completeTransactionPasswordReset(db, { userId: user.id, bounds, transactionPassword: 'NewTx2029', transactionPasswordConfirm: 'NewTx2029' }), { code: 'conflict' });
});
