import { sql, type Kysely } from 'kysely';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../db/database.ts';

/**
 * DESIGN §7: a client that asks for `offline_access` gets a refresh token without also sending
 * `prompt=consent` (the permission screen is always shown anyway). oidc-provider drops the scope at
 * the PAR endpoint unless `prompt=consent` is present, so the original request is noted here, keyed
 * by the PAR's jti (which the interaction keeps), and the consent step grants it.
 */
const MODEL = 'RenkeiOfflineAccessRequest';
const TTL_SECONDS = 900;

export async function noteOfflineAccessRequest(db: Kysely<Database>, ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.oidc?.route !== 'pushed_authorization_request' || ctx.status !== 201) return;
  const scope = String((ctx.oidc.body as Record<string, unknown> | undefined)?.scope ?? '').split(' ');
  const requestUri = String((ctx.body as { request_uri?: string } | undefined)?.request_uri ?? '');
  const jti = requestUri.split(':').pop();
  if (!jti || !scope.includes('offline_access') || !ctx.oidc.client?.grantTypeAllowed('refresh_token')) return;
  await db
    .insertInto('oidc_payloads')
    .values({ model: MODEL, id: jti, payload: '{}', expires_at: sql<Date>`now() + make_interval(secs => ${TTL_SECONDS})` })
    .onConflict((oc) => oc.columns(['model', 'id']).doNothing())
    .execute();
}

export async function offlineAccessWasRequested(db: Kysely<Database>, parJti: string | undefined): Promise<boolean> {
  if (!parJti) return false;
  const row = await db.selectFrom('oidc_payloads').select('id').where('model', '=', MODEL).where('id', '=', parJti)
    .where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  return row !== undefined;
}
