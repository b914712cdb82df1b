import { randomUUID } from 'node:crypto';
import t from 'tap';
import {
  hasPinToRegister, MAX_PIN_FAILURES, pinStatusOfVisibleAccounts, registerInquiryPin,
} from '../../../src/business-id/inquiry-pins.service.ts';
import { findUserIdentity } from '../../../src/business-id/user-lookup.repository.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { accountByNumber, pinOf, unlockPin, userByLoginId } from '../../helpers/fapi.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// The 照会用暗証番号 rules of DESIGN §6 (seed 000 手順3), without HTTP.
const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const context = { ip: '127.0.0.1', userAgent: 'tap', requestId: 'req-pin' };

const user = (loginId: string) => userByLoginId(db, loginId);
const register = async (loginId: string, accountNumber: string, pin: string) => {
  const [u, a] = await Promise.all([user(loginId), accountByNumber(db, accountNumber)]);
  return registerInquiryPin(db, { userId: u.id, accountId: a.id, pin, context });
};
const state = async (accountNumber: string) => {
  const a = await accountByNumber(db, accountNumber);
  return { failures: a.pin_failed_count, locked: a.pin_locked_at !== null };
};
const registrationsOf = async (loginId: string) => {
  const u = await user(loginId);
  return db.selectFrom('pin_registrations').select('account_id').where('user_id', '=', u.id).execute();
};
const auditOf = (type: string, accountPublicId: string) =>
  db.selectFrom('audit_events').select(['details', 'actor_login_id', 'customer_id', 'request_id']).where('type', '=', type).execute()
    .then((rows) => rows.filter((r) => (r.details as { accountId?: string }).accountId === accountPublicId));

t.test('the right PIN registers the account for this user, audited without the PIN', async (t) => {
  t.same(await register('2000000001', '2000123', pinOf('2000123')), { outcome: 'registered' });
  const account = await accountByNumber(db, '2000123');
  t.same((await registrationsOf('2000000001')).map((r) => r.account_id), [account.id]);
  const [event] = await auditOf('pin.success', account.public_id);
  t.match(event, { actor_login_id: '2000000001', customer_id: account.customer_id, request_id: 'req-pin' });
  t.notMatch(JSON.stringify(event), pinOf('2000123'));
  t.same(await register('2000000001', '2000123', pinOf('2000123')), { outcome: 'registered' }, 'registering again is harmless');
  t.equal((await registrationsOf('2000000001')).length, 1);
});

t.test(`${MAX_PIN_FAILURES} wrong PINs lock the account, counted down on the way`, async (t) => {
  t.teardown(() => unlockPin(db, '1000658'));
  const account = await accountByNumber(db, '1000658');
  t.same(await register('1000000002', '1000658', '0000'), { outcome: 'wrong_pin', remainingAttempts: MAX_PIN_FAILURES - 1 });
  t.same(await register('1000000002', '1000658', '0001'), { outcome: 'wrong_pin', remainingAttempts: MAX_PIN_FAILURES - 2 });
  // Another user who may see the account: the failures are the account's, not the user's.
  t.same(await register('1000000001', '1000658', '0002'), { outcome: 'locked' });
  t.same(await state('1000658'), { failures: MAX_PIN_FAILURES, locked: true });
  t.equal((await auditOf('pin.locked', account.public_id)).length, 1, 'one lock event');
  t.same(await register('1000000002', '1000658', pinOf('1000658')), { outcome: 'locked' }, 'the right PIN no longer helps');
  t.same(await registrationsOf('1000000002'), []);
});

t.test('a malformed PIN is refused without counting', async (t) => {
  for (const pin of ['', '739', '73920', 'abcd', '７３９２']) {
    t.same(await register('1000000003', '1000088', pin), { outcome: 'invalid_format' }, JSON.stringify(pin));
  }
  t.same(await state('1000088'), { failures: 0, locked: false });
});

t.test('an account the user may not see, or no account at all, is the same answer and counts nothing', async (t) => {
  // User 2's group has rights on 1000088 only.
  t.same(await register('1000000003', '1000658', pinOf('1000658')), { outcome: 'not_available' });
  const u = await user('1000000003');
  t.same(await registerInquiryPin(db, { userId: u.id, accountId: randomUUID(), pin: '1234' }), { outcome: 'not_available' });
  t.same(await registerInquiryPin(db, { userId: randomUUID(), accountId: (await accountByNumber(db, '1000088')).id, pin: '7392' }), { outcome: 'not_available' });
  t.same(await state('1000658'), { failures: 0, locked: false });
  t.same(await registrationsOf('1000000003'), []);
});

t.test('the status of the visible accounts says what step 3 still has to do', async (t) => {
  t.teardown(() => unlockPin(db, '1000088'));
  const u1 = await user('1000000002');
  const status = await pinStatusOfVisibleAccounts(db, u1.id);
  t.same(status.map((a) => [a.accountNumber, a.registered, a.locked]), [['1000088', false, false], ['1000658', false, false]]);
  t.equal(await hasPinToRegister(db, u1.id), true);

  t.same(await register('1000000002', '1000088', pinOf('1000088')), { outcome: 'registered' });
  await db.updateTable('accounts').set({ pin_failed_count: MAX_PIN_FAILURES, pin_locked_at: new Date() }).where('account_number', '=', '1000658').execute();
  t.same((await pinStatusOfVisibleAccounts(db, u1.id)).map((a) => [a.accountNumber, a.registered, a.locked]), [['1000088', true, false], ['1000658', false, true]]);
  t.equal(await hasPinToRegister(db, u1.id), false, 'registered or locked: nothing left to register');
  await unlockPin(db, '1000658');
  t.equal(await hasPinToRegister(db, u1.id), true, 'unlocked: 1000658 can be registered again');

  const u3 = await user('1000000004');
  t.same(await pinStatusOfVisibleAccounts(db, u3.id), [], 'no account rights: nothing to show');
  t.equal(await hasPinToRegister(db, u3.id), false);
});

t.test('a user is found by id with the names audit events and consents record', async (t) => {
  const u = await user('1000000001');
  t.same(await findUserIdentity(db, u.id), { id: u.id, customerId: u.customer_id, loginId: '1000000001' });
  t.equal(await findUserIdentity(db, randomUUID()), undefined);
});
