import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { endIbSessionsOfUsers } from '../auth/ib-sessions.repository.ts';
import { revokeGrantsOfUsers } from '../partners/grants.service.ts';
import { revokeCertificatesOfRetiredUsers } from './certificate-orders.ts';

/**
 * Everything that must happen when users stop existing (user deleted, group deleted with its users,
 * ビジネスID管理 解約), in the caller's transaction (DESIGN §5): the rows are soft-deleted (login IDs are
 * never reused), their certificates revoked, their API grants revoked, their sessions ended.
 */
export async function retireUsers(
  trx: Transaction<Database>,
  input: { customerId: string; userIds: string[]; reason: string; actorUserId: string; context?: RequestContext },
): Promise<void> {
  if (input.userIds.length === 0) return;
  await trx
    .updateTable('users')
    .set({ deleted_at: sql<Date>`now()`, group_id: null, updated_at: sql<Date>`now()` })
    .where('id', 'in', input.userIds)
    .where('role', '=', 'member')
    .where('deleted_at', 'is', null)
    .execute();
  await revokeCertificatesOfRetiredUsers(trx, input.userIds, input.reason);
  await revokeGrantsOfUsers(trx, { userIds: input.userIds, by: input.reason === 'group_deleted' ? 'group_change' : 'user_change', reason: input.reason, actorUserId: input.actorUserId, context: input.context });
  await endIbSessionsOfUsers(trx, input.userIds);
  for (const id of input.userIds) {
    await recordAudit(trx, { type: 'user.deleted', customerId: input.customerId, actorUserId: input.actorUserId, subjectUserId: id, details: { reason: input.reason }, context: input.context });
  }
}
