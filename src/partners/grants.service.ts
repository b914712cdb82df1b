import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { RevokedBy } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';

/**
 * Deletes oidc-provider's grants and every artifact bound to them (refresh tokens, codes), so no new
 * access token can be minted under them. Access tokens already issued fail at the resource API, which
 * checks the bank grant on every call.
 */
export async function deleteProviderGrants(db: Db, oidcGrantIds: string[]): Promise<void> {
  if (oidcGrantIds.length === 0) return;
  await db.deleteFrom('oidc_payloads').where((eb) => eb.or([
    eb('grant_id', 'in', oidcGrantIds),
    eb.and([eb('model', '=', 'Grant'), eb('id', 'in', oidcGrantIds)]),
  ])).execute();
}

/**
 * Ends every active grant of the given users (user deleted, password reset, group deleted, service
 * cancelled), in the caller's transaction: the bank's record is closed, and oidc-provider's grant and
 * every refresh token issued under it are deleted, so no new access token can be minted. Access tokens
 * already issued stop working at their next call: the resource API checks the grant every time.
 * @returns the number of grants revoked
 */
export async function revokeGrantsOfUsers(
  db: Db,
  input: { userIds: string[]; by: RevokedBy; reason: string; actorUserId?: string | null; context?: RequestContext },
): Promise<number> {
  if (input.userIds.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const revoked = await trx
      .updateTable('grants')
      .set({ revoked_at: sql<Date>`now()`, revoked_by: input.by, revoke_reason: input.reason })
      .where('user_id', 'in', input.userIds)
      .where('revoked_at', 'is', null)
      .returning(['id', 'user_id', 'client_id', 'oidc_grant_id'])
      .execute();
    await deleteProviderGrants(trx, revoked.map((g) => g.oidc_grant_id).filter((id): id is string => id !== null));
    for (const g of revoked) {
      await recordAudit(trx, {
        type: 'grant.revoked', actorUserId: input.actorUserId ?? null, subjectUserId: g.user_id,
        details: { grantId: g.id, clientId: g.client_id, by: input.by, reason: input.reason }, context: input.context,
      });
    }
    return revoked.length;
  });
}
