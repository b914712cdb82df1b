import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { crashPoint } from '../shared/crash-points.ts';
import { deleteProviderGrants } from './grants.service.ts';

export interface ConsentRecord {
  userId: string;
  customerId: string;
  loginId: string;
  clientId: string;
  oidcGrantId: string;
  /** 利用業務 the holder allowed (resource scopes), plus offline_access when granted. */
  scopes: string[];
  accountIds: string[];
  /** The journey (oidc-provider interaction) whose 許可 this is: one grant per journey. */
  interactionUid: string;
  grantedAt: Date;
  expiresAt: Date;
  context?: RequestContext;
}

/**
 * The grant a journey's 許可 already produced, if any, read under the user's row lock (the lock every
 * consent of this user takes first): of several 許可 on one interaction, the first records the grant
 * and every later one finds it here and follows it, adding no grant and no audit row.
 */
export async function grantOfJourney(db: Db, userId: string, interactionUid: string): Promise<{ grantId: string; oidcGrantId: string | null } | undefined> {
  return inTransaction(db, async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirstOrThrow();
    const found = await trx.selectFrom('grants').select(['id', 'oidc_grant_id']).where('interaction_uid', '=', interactionUid).executeTakeFirst();
    return found ? { grantId: found.id, oidcGrantId: found.oidc_grant_id } : undefined;
  });
}

/**
 * Records the holder's 情報アクセス許可 (seed 000 手順5) in one transaction: the previous active
 * grant of this user for this client ends (DESIGN §6: one active grant per user and client; a new
 * consent restarts the full period), the new one is written with the accounts it covers, and the
 * consent is audited; the previous grant's provider artifacts are deleted with it.
 */
export async function recordConsent(db: Db, c: ConsentRecord): Promise<{ grantId: string }> {
  return inTransaction(db, async (trx) => {
    // Two tabs (or a double click) consenting at once: the user's row lock serialises them, so the
    // one-active-grant rule is kept without ever surfacing as a unique-index error.
    await trx.selectFrom('users').select('id').where('id', '=', c.userId).forUpdate().executeTakeFirstOrThrow();
    const previous = await trx
      .updateTable('grants')
      .set({ revoked_at: sql<Date>`now()`, revoked_by: 'system', revoke_reason: 'replaced by a new consent', ended_by: 'replaced' })
      .where('user_id', '=', c.userId)
      .where('client_id', '=', c.clientId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'oidc_grant_id'])
      .executeTakeFirst();
    if (previous?.oidc_grant_id) await deleteProviderGrants(trx, [previous.oidc_grant_id]);
    const { id } = await trx
      .insertInto('grants')
      .values({
        user_id: c.userId, client_id: c.clientId, oidc_grant_id: c.oidcGrantId, scopes: c.scopes,
        granted_at: c.grantedAt, expires_at: c.expiresAt, interaction_uid: c.interactionUid,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (c.accountIds.length > 0) {
      await trx.insertInto('grant_accounts').values(c.accountIds.map((account_id) => ({ grant_id: id, account_id }))).execute();
    }
    crashPoint('consent.bank-grant-written');
    await recordAudit(trx, {
      type: 'consent.granted', customerId: c.customerId, actorUserId: c.userId, actorLoginId: c.loginId, context: c.context,
      details: { grantId: id, clientId: c.clientId, scopes: c.scopes, accounts: c.accountIds.length, expiresAt: c.expiresAt.toISOString(), replaced: previous?.id ?? null },
    });
    return { grantId: id };
  });
}
