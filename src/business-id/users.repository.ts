import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';
import { isUuid } from '../shared/ids.ts';

/**
 * The customer's live users as ユーザー一覧 lists them (seed 003 §4): the master first, then by creation.
 * `transaction_reset_pending`: waiting for a new 取引パスワード because an administrator reset it (the
 * latest reset is newer than the user's latest completed setup), as opposed to a new user's first setup.
 */
export async function listUsers(db: Db, customerId: string, opts: { groupId?: string } = {}) {
  if (opts.groupId !== undefined && !isUuid(opts.groupId)) return [];
  let q = db
    .selectFrom('users')
    .leftJoin('groups', 'groups.id', 'users.group_id')
    .select([
      'users.id', 'users.login_id', 'users.name', 'users.email', 'users.role', 'users.status', 'users.group_id', 'users.version',
      'users.transaction_password_locked_at', 'groups.name as group_name',
      sql<boolean>`users.status = 'setup_required' and exists (
        select 1 from audit_events r where r.subject_user_id = users.id and r.type = 'password.transaction_reset'
          and not exists (select 1 from audit_events s where s.actor_user_id = users.id and s.type = 'user.setup_completed' and s.occurred_at >= r.occurred_at))`
        .as('transaction_reset_pending'),
    ])
    .where('users.customer_id', '=', customerId)
    .where('users.deleted_at', 'is', null);
  if (opts.groupId !== undefined) q = q.where('users.group_id', '=', opts.groupId);
  return q.orderBy('users.role').orderBy('users.created_at').orderBy('users.login_id').execute();
}

/** Live member users: what the user limit counts (the master never does). */
export async function countMembers(db: Db, customerId: string): Promise<number> {
  const { count } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('customer_id', '=', customerId)
    .where('role', '=', 'member')
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(count);
}
