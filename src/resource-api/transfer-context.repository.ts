import { sql } from 'kysely';
import type { GrantContext } from '../business-id/grant-check.repository.ts';
import type { Db } from '../db/transaction.ts';

/**
 * Who is asking for a transfer, as the transfers domain needs it: the grant's user and customer, and
 * the accounts the grant covers (the domain checks the rest: PIN registration, 照会, 振込・振替, limits).
 * One round trip. Undefined when the user vanished since authentication (then the token is no good).
 */
export async function transferRequester(db: Db, grant: GrantContext): Promise<{ customerId: string; grantAccountIds: string[] } | undefined> {
  const row = await db.selectFrom('users as u')
    .select([
      'u.customer_id',
      sql<string[]>`coalesce((select array_agg(ga.account_id::text order by ga.account_id) from grant_accounts ga where ga.grant_id = ${grant.grantId}), '{}'::text[])`.as('account_ids'),
    ])
    .where('u.id', '=', grant.userId)
    .executeTakeFirst();
  return row ? { customerId: row.customer_id, grantAccountIds: row.account_ids } : undefined;
}
