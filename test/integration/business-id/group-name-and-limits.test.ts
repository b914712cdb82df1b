import t from 'tap';
import { assertGroupFits, checkGroupName, MAX_GROUP_NAME_LENGTH, MAX_GROUPS_PER_CUSTOMER } from '../../../src/business-id/groups.service.ts';
import { assertUsersFit, MAX_USERS_PER_CUSTOMER } from '../../../src/business-id/users.service.ts';
import { AppError } from '../../../src/shared/errors.ts';

// The rules themselves, without a database or a screen.

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('not refused');
}

t.test('the group name rule: 1 to MAX_GROUP_NAME_LENGTH characters once trimmed', async (t) => {
  t.equal(checkGroupName(' 振込 '), '振込', 'trimmed');
  t.equal(checkGroupName('あ'.repeat(MAX_GROUP_NAME_LENGTH)), 'あ'.repeat(MAX_GROUP_NAME_LENGTH), 'the longest allowed');
  t.equal(checkGroupName(` ${'a'.repeat(MAX_GROUP_NAME_LENGTH)} `).length, MAX_GROUP_NAME_LENGTH, 'spaces around do not count');
  for (const bad of ['', '   ', '\t', 'あ'.repeat(MAX_GROUP_NAME_LENGTH + 1)]) {
    const err = refusal(() => checkGroupName(bad));
    t.equal(err.status, 400);
    t.equal(err.code, 'invalid_parameter');
    t.equal(err.messages.ja, `グループ名は1〜${MAX_GROUP_NAME_LENGTH}文字で入力してください。`, 'the message reads the limit');
    t.match(err.messages.en, String(MAX_GROUP_NAME_LENGTH));
  }
  t.equal(MAX_GROUP_NAME_LENGTH, 30, 'seed 003 §3-1');
});

t.test('the group limit: the 101st is refused with a message that reads the limit', async (t) => {
  t.doesNotThrow(() => assertGroupFits(MAX_GROUPS_PER_CUSTOMER - 1));
  const err = refusal(() => assertGroupFits(MAX_GROUPS_PER_CUSTOMER));
  t.equal(err.status, 409);
  t.equal(err.code, 'group_limit_reached');
  t.equal(err.messages.ja, `グループは最大${MAX_GROUPS_PER_CUSTOMER}個まで登録できます。`);
  t.equal(err.messages.en, `A customer can have at most ${MAX_GROUPS_PER_CUSTOMER} groups.`);
  t.equal(MAX_GROUPS_PER_CUSTOMER, 100, 'seed 003 §3-1');
});

t.test('the user limit counts members being added with those there', async (t) => {
  t.doesNotThrow(() => assertUsersFit(MAX_USERS_PER_CUSTOMER - 2, 2));
  t.doesNotThrow(() => assertUsersFit(0, MAX_USERS_PER_CUSTOMER));
  const err = refusal(() => assertUsersFit(MAX_USERS_PER_CUSTOMER - 1, 2));
  t.equal(err.status, 409);
  t.equal(err.code, 'user_limit_reached');
  t.equal(err.messages.ja, `ユーザーは最大${MAX_USERS_PER_CUSTOMER}名まで登録できます。`);
  t.equal(err.messages.en, `A customer can have at most ${MAX_USERS_PER_CUSTOMER} users.`);
  t.equal(MAX_USERS_PER_CUSTOMER, 100, 'seed 003 §4-1');
});
