import type { Kysely } from 'kysely';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { isOwnToken } from './fapi-profile.ts';
import type { IssuedAccessToken } from './jwt-access-tokens.ts';

const REVOCATION_MARGIN_S = 60;

/**
 * RFC 7009 for the resource API's access tokens: the token ends at once (the resource API refuses
 * its jti from the next call on), the grant and its refresh token stay — revoking the refresh token
 * is what ends the grant. As for every other token, a client may revoke only its own (else
 * `invalid_request`, like the provider's policy), and a token that is not ours or already expired
 * is answered 200 with nothing done (RFC 7009 §2.2).
 */
export async function revokeAccessToken(ctx: KoaContextWithOIDC, db: Kysely<Database>, clientId: string, token: IssuedAccessToken | undefined): Promise<void> {
  if (token && !isOwnToken({ clientId }, { clientId: token.client_id })) {
    const refusal = new errors.InvalidRequest('client is not authorized to revoke the presented token');
    ctx.status = refusal.statusCode;
    ctx.body = { error: refusal.error, error_description: refusal.error_description };
    return;
  }
  // Recorded while any verifier could still accept the token (its exp plus a margin beyond every
  // clock tolerance); the purge sweep forgets the row after that.
  if (token && token.exp + REVOCATION_MARGIN_S > Math.floor(Date.now() / 1000)) {
    await db
      .insertInto('revoked_access_tokens')
      .values({ jti: token.jti, client_id: token.client_id, expires_at: new Date(token.exp * 1000) })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }
  ctx.status = 200;
  ctx.body = '';
}
