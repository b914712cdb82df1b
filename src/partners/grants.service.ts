import { sql } from 'kysely';
import { recordAudits, type RequestContext } from '../audit/audit.repository.ts';
import type { GrantEndedBy, RevokedBy } from '../db/database.ts';
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

/** Who may end a grant through this module (a new consent replacing one is recorded by the consent itself). */
export type GrantEnder = Exclude<GrantEndedBy, 'replaced'>;

/** revoked_by keeps its older, coarser words for the readers that use it. */
const REVOKED_BY: Record<GrantEnder, RevokedBy> = {
  holder: 'user', administrator: 'administrator', partner: 'client', expiry: 'system',
  user_change: 'administrator', group_change: 'administrator', system: 'system',
};

interface EndInput {
  by: GrantEnder;
  /** Why, in a short code or sentence for the record (e.g. `user_deleted`); defaults to `by`. */
  reason?: string | undefined;
  /** The internet-banking user who ended it (the holder or an administrator); none for the partner or expiry. */
  actorUserId?: string | null | undefined;
  context?: RequestContext | undefined;
}

type Which = { grantIds: string[] } | { userIds: string[] } | { oidcGrantId: string };

/**
 * The one way a grant ends (DESIGN §15), in the caller's transaction or a new one: the bank's record is
 * closed, oidc-provider's grant and every refresh token and code issued under it are deleted (refresh is
 * then `invalid_grant`), and each ending is audited with the customer, the holder (subject), the actor and
 * who ended it, so the holder's customer sees it in ログイン・操作履歴. Access tokens already issued fail at
 * their next call: the resource API checks the grant on every call. Only still-active grants change, so
 * a second ending of the same grant does nothing.
 */
async function endGrantsWhere(db: Db, which: Which, input: EndInput) {
  return inTransaction(db, async (trx) => {
    let query = trx
      .updateTable('grants')
      .set({ revoked_at: sql<Date>`now()`, revoked_by: REVOKED_BY[input.by], ended_by: input.by, revoke_reason: input.reason ?? input.by })
      .where('revoked_at', 'is', null);
    if ('grantIds' in which) query = query.where('id', 'in', which.grantIds);
    else if ('oidcGrantId' in which) query = query.where('oidc_grant_id', '=', which.oidcGrantId);
    else query = query.where('user_id', 'in', which.userIds);
    // An expiry sweep must never end a grant that a new consent has just renewed.
    if (input.by === 'expiry') query = query.where('expires_at', '<=', sql<Date>`now()`);
    const ended = await query
      .returning((eb) => [
        'grants.id', 'grants.user_id', 'grants.client_id', 'grants.oidc_grant_id',
        eb.selectFrom('users').select('users.customer_id').whereRef('users.id', '=', 'grants.user_id').as('customer_id'),
      ])
      .execute();
    await deleteProviderGrants(trx, ended.map((g) => g.oidc_grant_id).filter((id): id is string => id !== null));
    await recordAudits(trx, ended.map((g) => ({
      type: 'grant.revoked', customerId: g.customer_id, actorUserId: input.actorUserId ?? null, subjectUserId: g.user_id,
      details: { grantId: g.id, clientId: g.client_id, by: input.by, reason: input.reason ?? input.by }, context: input.context,
    })));
    return ended;
  });
}

/**
 * Ends one grant: the holder's or an administrator's 連携解除, the partner's revocation, expiry, or a user
 * or group change. Whoever calls it has decided it may be ended (the screens check who may end what).
 * @returns whether the grant was active and is now ended
 */
export async function endGrant(db: Db, input: EndInput & { grantId: string }): Promise<boolean> {
  const ended = await endGrantsWhere(db, { grantIds: [input.grantId] }, input);
  return ended.length > 0;
}

/**
 * Ends several grants for one reason in three statements whatever their number (the expiry sweep).
 * @returns the number of grants that were active and are now ended
 */
export async function endGrants(db: Db, input: EndInput & { grantIds: string[] }): Promise<number> {
  if (input.grantIds.length === 0) return 0;
  const ended = await endGrantsWhere(db, { grantIds: input.grantIds }, input);
  return ended.length;
}

/** Ends the bank grant behind an oidc-provider grant the provider revoked itself (RFC 7009, code or refresh-token reuse). */
export async function endGrantOfProvider(db: Db, input: EndInput & { oidcGrantId: string }): Promise<boolean> {
  const ended = await endGrantsWhere(db, { oidcGrantId: input.oidcGrantId }, input);
  return ended.length > 0;
}

/**
 * Ends every active grant of the given users (user deleted, password reset, group deleted, service
 * cancelled), in the caller's transaction.
 * @returns the number of grants ended
 */
export async function revokeGrantsOfUsers(db: Db, input: EndInput & { userIds: string[] }): Promise<number> {
  if (input.userIds.length === 0) return 0;
  const ended = await endGrantsWhere(db, { userIds: input.userIds }, input);
  return ended.length;
}
