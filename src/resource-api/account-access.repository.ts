import { sql, type SelectQueryBuilder } from 'kysely';
import { userMaySeeAccount } from '../business-id/account-access.ts';
import type { CustomerKind } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';

export interface GrantContext {
  grantId: string;
  userId: string;
  clientId: string;
}

export type GrantCheck = { ok: true; grant: GrantContext; customerKind: CustomerKind } | { ok: false; reason: string };

/**
 * The bank's grant behind a token, checked at the moment of the call (DESIGN §5): it exists, belongs
 * to the token's client, is neither revoked nor expired, and its user is still active; nor was the token
 * itself revoked. With it comes the kind of customer whose accounts it reads (GMO serves 個人 and 法人
 * under separate base paths). An accepted call is recorded as the grant's last use.
 */
export async function checkGrant(db: Db, oidcGrantId: string, clientId: string, tokenJti: string): Promise<GrantCheck> {
  const row = await db
    .selectFrom('grants as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .innerJoin('customers as c', 'c.id', 'u.customer_id')
    .select([
      'g.id', 'g.user_id', 'g.client_id', 'c.kind',
      sql<boolean>`g.revoked_at is null and g.expires_at > now()`.as('active'),
      sql<boolean>`u.status = 'active' and u.deleted_at is null`.as('user_active'),
      // The access token itself revoked through RFC 7009 (src/oidc/token-revocation.ts).
      sql<boolean>`exists (select 1 from revoked_access_tokens r where r.jti = ${tokenJti})`.as('token_revoked'),
      sql<boolean>`g.last_used_at is null or g.last_used_at < now() - interval '1 minute'`.as('use_unrecorded'),
    ])
    .where('g.oidc_grant_id', '=', oidcGrantId)
    .executeTakeFirst();
  if (!row || row.client_id !== clientId) return { ok: false, reason: 'the grant does not exist' };
  if (!row.active) return { ok: false, reason: 'the grant was revoked or has expired' };
  if (row.token_revoked) return { ok: false, reason: 'the access token was revoked' };
  if (!row.user_active) return { ok: false, reason: 'the user is no longer active' };
  if (row.use_unrecorded) await recordUse(db, row.id);
  return { ok: true, grant: { grantId: row.id, userId: row.user_id, clientId: row.client_id }, customerKind: row.kind };
}

/**
 * 最終利用日時 (DESIGN §15), at most once a minute per grant: the check above reads whether the last
 * recorded use is a minute old, so nearly every call stays a pure read, and only then this conditional
 * UPDATE writes (a concurrent second writer re-checks the condition after the first and skips).
 */
async function recordUse(db: Db, grantId: string): Promise<void> {
  await db
    .updateTable('grants')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', grantId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

/**
 * The accounts a grant lets its client read now: covered by the grant, registered with the user's
 * 照会用暗証番号, and visible under the user's current group rights. Callers add their columns and
 * filters; an account missing from the result is `account_forbidden` whatever the reason.
 */
export function accessibleAccounts(db: Db, grant: GrantContext) {
  return db
    .selectFrom('grant_accounts as ga')
    .innerJoin('accounts as a', 'a.id', 'ga.account_id')
    .innerJoin('users as u', (j) => j.on('u.id', '=', grant.userId))
    .innerJoin('pin_registrations as p', (j) => j.onRef('p.account_id', '=', 'a.id').onRef('p.user_id', '=', 'u.id'))
    .leftJoin('groups as g', 'g.id', 'u.group_id')
    .leftJoin('group_account_rights as r', (j) => j.onRef('r.group_id', '=', 'u.group_id').onRef('r.account_id', '=', 'a.id'))
    .where('ga.grant_id', '=', grant.grantId)
    .where((eb) => userMaySeeAccount(eb as never));
}

type AccessibleAccounts = ReturnType<typeof accessibleAccounts>;
type AccessibleQuery<O> = AccessibleAccounts extends SelectQueryBuilder<infer DB, infer TB, infer _> ? SelectQueryBuilder<DB, TB, O> : never;

/** The order of every account list (DESIGN §8): the 代表口座 first, then by 科目 and 口座番号. */
export function inListOrder<O>(query: AccessibleQuery<O>): AccessibleQuery<O> {
  return query.orderBy('a.is_primary', 'desc').orderBy('a.account_type_code').orderBy('a.account_number');
}
