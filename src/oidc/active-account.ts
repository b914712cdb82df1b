import type { Kysely } from 'kysely';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { userIsActive } from '../business-id/account-access.ts';
import type { Database } from '../db/database.ts';
import { isUuid } from '../shared/ids.ts';

/**
 * oidc-provider's account lookup: the subject is the user's id and the only claim (names and accounts
 * stay with the bank). A user who is not active (locked by wrong passwords or by an administrator,
 * waiting for a reset or the first-login setup, or deleted) has no account for the provider, so a
 * refresh answers `invalid_grant` and userinfo `invalid_token`, as the resource API refuses their
 * tokens (DESIGN §5 "the user is active", §7 refresh tokens live only with what they stand for).
 * The grant itself stays: an administrator's unlock brings the link back, a deletion ends it.
 */
export function findActiveAccount(db: Kysely<Database>) {
  return async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    if (!isUuid(sub)) return undefined;
    const user = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', sub)
      .where(userIsActive('users'))
      .executeTakeFirst();
    return user ? { accountId: sub, claims: async () => ({ sub }) } : undefined;
  };
}
