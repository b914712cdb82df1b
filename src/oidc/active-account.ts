import type { Kysely } from 'kysely';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { userIsActive } from '../business-id/account-access.ts';
import type { Database } from '../db/database.ts';
import { preparedQuery } from '../db/prepared-query.ts';
import { isUuid } from '../shared/ids.ts';
import { activeAsReadAhead } from './token-read-ahead.ts';

/** Prepared (src/db/prepared-query.ts): it runs on every token request and userinfo call. */
const activeUser = preparedQuery('active-user', ['sub'], (db, param) => db
  .selectFrom('users')
  .select('id')
  .where('id', '=', param('sub'))
  .where(userIsActive('users')));

/**
 * oidc-provider's account lookup: the subject is the user's id and the only claim (names and accounts
 * stay with the bank). A user who is not active (locked by wrong passwords or by an administrator,
 * waiting for a reset or the first-login setup, or deleted) has no account for the provider, so a
 * refresh answers `invalid_grant` and userinfo `invalid_token`, as the resource API refuses their
 * tokens (DESIGN §5 "the user is active", §7 refresh tokens live only with what they stand for).
 * The grant itself stays: an administrator's unlock brings the link back, a deletion ends it.
 * On the token endpoint the user's state was usually read earlier in the same request, with the code
 * or refresh token (token-read-ahead.ts); otherwise it is read here.
 */
export function findActiveAccount(db: Kysely<Database>) {
  return async (ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    if (!isUuid(sub)) return undefined;
    const active = activeAsReadAhead(ctx, sub) ?? (await activeUser(db, { sub })).length > 0;
    return active ? { accountId: sub, claims: async () => ({ sub }) } : undefined;
  };
}
