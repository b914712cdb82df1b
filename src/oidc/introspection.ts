import type { Kysely } from 'kysely';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { isOwnToken } from './fapi-profile.ts';
import { accessTokenIsActive, type IssuedAccessToken } from './jwt-access-tokens.ts';

/**
 * RFC 7662 for the resource API's access tokens. Active only while the resource API would accept
 * it (not expired, not revoked, grant and user active) and only to the client it was issued to;
 * anything else — expired, revoked, another client's, not ours — is `{ "active": false }` and nothing more.
 */
export async function introspectAccessToken(ctx: KoaContextWithOIDC, db: Kysely<Database>, clientId: string, token: IssuedAccessToken | undefined): Promise<void> {
  ctx.status = 200;
  ctx.body = { active: false };
  if (!token || !isOwnToken({ clientId }, { clientId: token.client_id }) || !(await accessTokenIsActive(db, token))) return;
  ctx.body = {
    active: true,
    scope: token.scope,
    client_id: token.client_id,
    sub: token.sub,
    exp: token.exp,
    iat: token.iat,
    iss: token.iss,
    aud: token.aud,
    jti: token.jti,
    // RFC 9449 §6.2 / RFC 8705 §3.2: the key or certificate the token is bound to.
    token_type: token.cnf?.jkt ? 'DPoP' : 'Bearer',
    ...(token.cnf ? { cnf: token.cnf } : {}),
  };
}
