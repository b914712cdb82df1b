import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { crashPoint } from '../shared/crash-points.ts';
import { deleteProviderGrants } from './grants.service.ts';

export interface ConsentRecord {
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

/** The provider grant a journey's 許可 already produced, if any: a plain read, for the fast path of a second 許可. */
export async function grantOfJourney(db: Db, interactionUid: string): Promise<string | undefined> {
  const found = await db.selectFrom('grants').select('oidc_grant_id').where('interaction_uid', '=', interactionUid).executeTakeFirst();
  return found?.oidc_grant_id ?? undefined;
}

/** Proof that a transaction holds the user's row lock, with who the user is and what the journey already produced. */
export interface JourneyClaim {
  trx: Transaction<Database>;
  userId: string;
  customerId: string;
  loginId: string;
  /** The provider grant an earlier 許可 of this journey recorded: follow it, write nothing. */
  earlierOidcGrantId: string | undefined;
}

/**
 * Takes the user's row lock (the lock every consent of this user takes first), reading who the user
 * is, then the grant this journey may already have: of several 許可 on one interaction, the first
 * records the grant and every later one finds it here and follows it, adding no grant and no audit
 * row. Two statements, not one: a statement that waited for the lock still reads with the snapshot it
 * started with (READ COMMITTED), so only a statement after the lock sees the grant the lock holder
 * committed. Undefined when the user no longer exists.
 */
export async function claimJourney(trx: Transaction<Database>, userId: string, interactionUid: string): Promise<JourneyClaim | undefined> {
  const user = await trx.selectFrom('users').select(['id', 'customer_id', 'login_id']).where('id', '=', userId).forUpdate().executeTakeFirst();
  if (!user) return undefined;
  const earlier = await trx.selectFrom('grants').select('oidc_grant_id').where('interaction_uid', '=', interactionUid).executeTakeFirst();
  return { trx, userId: user.id, customerId: user.customer_id, loginId: user.login_id, earlierOidcGrantId: earlier?.oidc_grant_id ?? undefined };
}

/**
 * Records the holder's 情報アクセス許可 (seed 000 手順5) in the claim's transaction: the previous active
 * grant of this user for this client ends (DESIGN §6: one active grant per user and client; a new
 * consent restarts the full period), the new one is written with the accounts it covers, and the
 * consent is audited; the previous grant's provider artifacts are deleted with it.
 */
export async function recordConsent(claim: JourneyClaim, c: ConsentRecord): Promise<{ grantId: string }> {
  // Two tabs (or a double click) consenting at once: the user's row lock (taken by claimJourney, in
  // this transaction) serialises them, so the one-active-grant rule is kept without ever surfacing as
  // a unique-index error.
  const { trx, userId } = claim;
  const previous = await trx
    .updateTable('grants')
    .set({ revoked_at: sql<Date>`now()`, revoked_by: 'system', revoke_reason: 'replaced by a new consent', ended_by: 'replaced' })
    .where('user_id', '=', userId)
    .where('client_id', '=', c.clientId)
    .where('revoked_at', 'is', null)
    .returning(['id', 'oidc_grant_id'])
    .executeTakeFirst();
  if (previous?.oidc_grant_id) await deleteProviderGrants(trx, [previous.oidc_grant_id]);
  const { id } = await trx
    .insertInto('grants')
    .values({
      user_id: userId, client_id: c.clientId, oidc_grant_id: c.oidcGrantId, scopes: c.scopes,
      granted_at: c.grantedAt, expires_at: c.expiresAt, interaction_uid: c.interactionUid,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (c.accountIds.length > 0) {
    await trx.insertInto('grant_accounts').values(c.accountIds.map((account_id) => ({ grant_id: id, account_id }))).execute();
  }
  crashPoint('consent.bank-grant-written');
  await recordAudit(trx, {
    type: 'consent.granted', customerId: claim.customerId, actorUserId: userId, actorLoginId: claim.loginId, context: c.context,
    details: { grantId: id, clientId: c.clientId, scopes: c.scopes, accounts: c.accountIds.length, expiresAt: c.expiresAt.toISOString(), replaced: previous?.id ?? null },
  });
  return { grantId: id };
}
