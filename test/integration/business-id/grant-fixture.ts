import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/database.ts';

let n = 0;

/** An active API grant for the user (partner and client created on first use). */
export async function insertGrant(db: Kysely<Database>, userId: string): Promise<string> {
  const clientId = 'test-client-issue5';
  const existing = await db.selectFrom('oauth_clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst();
  if (!existing) {
    const p = await db.insertInto('partners').values({ legal_name: '株式会社テスト連携', service_name: 'テスト家計簿' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('oauth_clients').values({ client_id: clientId, partner_id: p.id, metadata: '{}', allowed_scopes: ['balances'] }).execute();
  }
  const g = await db.insertInto('grants').values({
    user_id: userId, client_id: clientId, scopes: ['balances'], expires_at: new Date(Date.now() + 86_400_000), oidc_grant_id: `g-${++n}-${userId.slice(0, 8)}`,
  }).returning('id').executeTakeFirstOrThrow();
  return g.id;
}
