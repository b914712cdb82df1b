import type { Db } from '../db/transaction.ts';
import { inTransaction } from '../db/transaction.ts';
import { isUniqueViolation } from '../shared/db-errors.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { hashSecret, randomDigits } from '../shared/secret-hash.ts';
import { lockCorporateWithBusinessId } from './customers.repository.ts';
import { countMembers } from './users.repository.ts';

/** Seed 003 §4-1: 取引責任者とは別に、最大100ユーザー (the master does not count). */
export const MAX_USERS_PER_CUSTOMER = 100;

/** Refuses member users beyond {@link MAX_USERS_PER_CUSTOMER}: `existing` live members plus `adding` new ones. */
export function assertUsersFit(existing: number, adding: number): void {
  if (existing + adding > MAX_USERS_PER_CUSTOMER) {
    throw new AppError(409, 'user_limit_reached', {
      message: {
        ja: `ユーザーは最大${MAX_USERS_PER_CUSTOMER}名まで登録できます。`,
        en: `A customer can have at most ${MAX_USERS_PER_CUSTOMER} users.`,
      },
    });
  }
}

export interface NewUserInput {
  customerId: string;
  groupId: string;
  name: string;
  email: string;
  /** The temporary login password mailed to the user; they set their own at first login. */
  initialPassword: string;
}

export interface CreatedUser {
  id: string;
  loginId: string;
}

/**
 * Adds a member user to a group of a corporate customer with ビジネスID管理, in one transaction,
 * refusing the 101st user. The login ID is a fresh random 10-digit number; the user starts in
 * `setup_required` (初回ログイン時の設定: transaction password first).
 */
export async function createUser(db: Db, input: NewUserInput): Promise<CreatedUser> {
  if (!isUuid(input.groupId)) throw new AppError(400, 'invalid_parameter');
  const passwordHash = await hashSecret(input.initialPassword);
  return inTransaction(db, async (trx) => {
    await lockCorporateWithBusinessId(trx, input.customerId);
    assertUsersFit(await countMembers(trx, input.customerId), 1);
    const group = await trx
      .selectFrom('groups')
      .select('id')
      .where('id', '=', input.groupId)
      .where('customer_id', '=', input.customerId)
      .executeTakeFirst();
    if (!group) {
      throw new AppError(400, 'invalid_parameter', {
        message: { ja: '指定されたグループは存在しません。', en: 'The group does not exist.' },
      });
    }
    const loginId = await unusedLoginId(trx);
    const row = await trx
      .insertInto('users')
      .values({
        customer_id: input.customerId,
        login_id: loginId,
        name: input.name.trim(),
        email: input.email.trim(),
        role: 'member',
        group_id: input.groupId,
        login_password_hash: passwordHash,
        status: 'setup_required',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((err: unknown) => {
        if (isUniqueViolation(err, 'users__login_id_unique')) throw new AppError(409, 'conflict');
        throw err;
      });
    return { id: row.id, loginId };
  });
}

/** A random 10-digit login ID not used before (IDs are never reused, even after deletion). */
async function unusedLoginId(trx: Db): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    // A leading 1–9 keeps every ID exactly 10 digits when shown as a number.
    const candidate = `${1 + Number(randomDigits(1)) % 9}${randomDigits(9)}`;
    const taken = await trx.selectFrom('users').select('id').where('login_id', '=', candidate).executeTakeFirst();
    if (!taken) return candidate;
  }
  throw new AppError(503, 'service_unavailable');
}
