import t from 'tap';
import { sql } from 'kysely';
import {
  completeLoginReset, findLoginReset, issueLoginReset, loginResetExhausted, MAX_RESET_CODE_ATTEMPTS, RESET_CODE_TTL_MINUTES, RESET_CODE_TTL_MS,
} from '../../../src/auth/passwords.service.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { codeHash, codesEqual, tokenHash, verifySecret } from '../../../src/shared/secret-hash.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const codeKey = Buffer.alloc(32, 7);
const bounds = { minLength: 8, maxLength: 32 };
const target = await db.selectFrom('users').select('id').where('login_id', '=', '1000000003').executeTakeFirstOrThrow();

t.test('code hashes are bound to their row and compared in constant time', async (t) => {
  t.match(codeHash(codeKey, 'row1', '123456'), /^[0-9a-f]{64}$/);
  t.not(codeHash(codeKey, 'row1', '123456'), codeHash(codeKey, 'row2', '123456'), 'a code copied to another row never matches');
  t.not(codeHash(codeKey, 'row1', '123456'), codeHash(Buffer.alloc(32, 8), 'row1', '123456'), 'the key matters');
  t.ok(codesEqual(codeHash(codeKey, 'r', '1'), codeHash(codeKey, 'r', '1')));
  t.notOk(codesEqual('abc', 'abd'));
  t.notOk(codesEqual('abc', 'abcd'), 'different lengths are unequal, not an exception');
});

t.test('a reset is issued for 30 minutes, one at a time, storing only hashes', async (t) => {
  t.equal(RESET_CODE_TTL_MS, 30 * 60_000);
  t.equal(RESET_CODE_TTL_MINUTES, 30);
  const first = await issueLoginReset(db, { userId: target.id, codeKey });
  t.match(first, { token: /^[A-Za-z0-9_-]{43}$/, code: /^[0-9]{6}$/ });
  const row = await db.selectFrom('password_resets').selectAll().where('user_id', '=', target.id).executeTakeFirstOrThrow();
  t.not(row.token_hash, first.token);
  t.equal(row.code_hash, codeHash(codeKey, row.id, first.code));
  t.ok(Math.abs(row.expires_at.getTime() - Date.now() - RESET_CODE_TTL_MS) < 60_000);
  const second = await issueLoginReset(db, { userId: target.id, codeKey });
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', target.id).execute();
  t.equal(await findLoginReset(db, first.token), undefined, 'the earlier one ended');
  t.ok(await findLoginReset(db, second.token));
});

t.test('completing a reset: wrong codes count, the message states the lifetime, the right code sets the password', async (t) => {
  const { token, code } = await issueLoginReset(db, { userId: target.id, codeKey });
  const input = { token, newPassword: 'Reset2026ab', newPasswordConfirm: 'Reset2026ab', codeKey, bounds };
  const wrong = code === '000000' ? '111111' : '000000';
  const err = await completeLoginReset(db, { ...input, code: wrong }).catch((e: unknown) => e);
  t.ok(err instanceof AppError);
  t.match(err, { status: 400, code: 'reset_invalid' });
  t.match((err as AppError).localized('ja'), `（${RESET_CODE_TTL_MINUTES}分）`, 'the number comes from the constant');
  t.equal((await db.selectFrom('password_resets').select('attempts').where('token_hash', '=', tokenHash(token)).executeTakeFirstOrThrow()).attempts, 1);
  t.same(await completeLoginReset(db, { ...input, code }), { loginId: '1000000003' });
  const u = await db.selectFrom('users').select(['status', 'login_password_hash']).where('id', '=', target.id).executeTakeFirstOrThrow();
  t.equal(u.status, 'setup_required');
  t.ok(await verifySecret(u.login_password_hash, 'Reset2026ab'));
  await t.rejects(completeLoginReset(db, { ...input, code }), { code: 'reset_invalid' }, 'single use');
});

t.test(`after ${MAX_RESET_CODE_ATTEMPTS} wrong codes or past its lifetime the reset is dead`, async (t) => {
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', target.id).execute();
  const { token, code } = await issueLoginReset(db, { userId: target.id, codeKey });
  const input = { token, newPassword: 'Reset2026cd', newPasswordConfirm: 'Reset2026cd', codeKey, bounds };
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < MAX_RESET_CODE_ATTEMPTS; i++) await t.rejects(completeLoginReset(db, { ...input, code: wrong }));
  t.equal(await findLoginReset(db, token), undefined);
  await t.rejects(completeLoginReset(db, { ...input, code }), { code: 'reset_invalid' });
  const fresh = await issueLoginReset(db, { userId: target.id, codeKey });
  await db.updateTable('password_resets').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('consumed_at', 'is', null).execute();
  await t.rejects(completeLoginReset(db, { ...input, token: fresh.token, code: fresh.code }), { code: 'reset_invalid' });
});

t.test(`the ${MAX_RESET_CODE_ATTEMPTS}th wrong 認証番号 and every try after it say the tries are used up, not "wrong or expired"`, async (t) => {
  await db.updateTable('users').set({ status: 'reset_pending' }).where('id', '=', target.id).execute();
  const { token, code } = await issueLoginReset(db, { userId: target.id, codeKey });
  const input = { token, newPassword: 'Reset2026ef', newPasswordConfirm: 'Reset2026ef', codeKey, bounds };
  const wrong = code === '000000' ? '111111' : '000000';
  const message = async (c: string) => ((await completeLoginReset(db, { ...input, code: c }).catch((e: unknown) => e)) as AppError).localized('ja');
  for (let i = 1; i < MAX_RESET_CODE_ATTEMPTS; i++) t.match(await message(wrong), '正しくないか', `try ${i}: wrong or expired`);
  t.notOk(await loginResetExhausted(db, token));
  t.match(await message(wrong), `入力回数が上限（${MAX_RESET_CODE_ATTEMPTS}回）に達した`, 'the last try says so, with the number from the constant');
  t.ok(await loginResetExhausted(db, token));
  t.match(await message(code), '入力回数が上限', 'even the right code afterwards');
  await db.updateTable('password_resets').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('consumed_at', 'is', null).execute();
  t.notOk(await loginResetExhausted(db, token), 'once expired, it is simply expired');
  t.match(await message(code), '正しくないか');
});
