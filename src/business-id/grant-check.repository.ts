import { sql } from 'kysely';
import { userIsActive } from './account-access.ts';
import type { CustomerKind } from '../db/database.ts';
import { preparedQuery } from '../db/prepared-query.ts';
import type { Db } from '../db/transaction.ts';

export interface GrantContext {
  grantId: string;
  userId: string;
  clientId: string;
}

export type GrantCheck =
  | { ok: true; grant: GrantContext; customerKind: CustomerKind; /** the last recorded use is a minute old: call recordGrantUse */ useUnrecorded: boolean }
  | { ok: false; reason: string };

/**
 * checkGrant's one query, prepared (src/db/prepared-query.ts): it runs on every resource API call and
 * every introspection, so it is built once and PostgreSQL parses it once per connection.
 */
const grantOfToken = preparedQuery('grant-of-token', ['oidcGrantId', 'tokenJti'], (db, param) => db
  .selectFrom('grants as g')
  .innerJoin('users as u', 'u.id', 'g.user_id')
  .innerJoin('customers as c', 'c.id', 'u.customer_id')
  .select([
    'g.id', 'g.user_id', 'g.client_id', 'c.kind',
    sql<boolean>`g.revoked_at is null and g.expires_at > now()`.as('active'),
    userIsActive('u').as('user_active'),
    // The access token itself revoked through RFC 7009 (src/oidc/token-revocation.ts).
    sql<boolean>`exists (select 1 from revoked_access_tokens r where r.jti = ${param('tokenJti')})`.as('token_revoked'),
    sql<boolean>`g.last_used_at is null or g.last_used_at < now() - interval '1 minute'`.as('use_unrecorded'),
  ])
  .where('g.oidc_grant_id', '=', param('oidcGrantId')));

/**
 * The bank's grant behind a token, checked at the moment of the call (DESIGN §5): it exists, belongs
 * to the token's client, is neither revoked nor expired, and its user is still active; nor was the token
 * itself revoked. With it comes the kind of customer whose accounts it reads (GMO serves 個人 and 法人
 * under separate base paths). A pure read: the resource API and introspection both ask it.
 */
export async function checkGrant(db: Db, oidcGrantId: string, clientId: string, tokenJti: string): Promise<GrantCheck> {
  const [row] = await grantOfToken(db, { oidcGrantId, tokenJti });
  if (!row || row.client_id !== clientId) return { ok: false, reason: 'the grant does not exist' };
  if (!row.active) return { ok: false, reason: 'the grant was revoked or has expired' };
  if (row.token_revoked) return { ok: false, reason: 'the access token was revoked' };
  if (!row.user_active) return { ok: false, reason: 'the user is no longer active' };
  return { ok: true, grant: { grantId: row.id, userId: row.user_id, clientId: row.client_id }, customerKind: row.kind, useUnrecorded: row.use_unrecorded };
}

/**
 * 最終利用日時 (DESIGN §15), at most once a minute per grant: checkGrant reads whether the last
 * recorded use is a minute old, so nearly every call stays a pure read, and only then this conditional
 * UPDATE writes (a concurrent second writer re-checks the condition after the first and skips).
 */
async function recordGrantUse(db: Db, grantId: string): Promise<void> {
  await db
    .updateTable('grants')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', grantId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

/** The resource API's check of a call: checkGrant, and an accepted call recorded as the grant's last use. */
export async function checkGrantOfCall(db: Db, oidcGrantId: string, clientId: string, tokenJti: string): Promise<GrantCheck> {
  const check = await checkGrant(db, oidcGrantId, clientId, tokenJti);
  if (check.ok && check.useUnrecorded) await recordGrantUse(db, check.grant.grantId);
  return check;
}
