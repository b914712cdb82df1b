import type { KoaContextWithOIDC } from 'oidc-provider';
import { introspectAccessToken } from './introspection.ts';
import { accessTokenReader, type JwtAccessTokenOptions } from './jwt-access-tokens.ts';
import { revokeAccessToken } from './token-revocation.ts';

/**
 * oidc-provider (9.3+) answers `unsupported_token_type` at its revocation and introspection
 * endpoints for JWT access tokens, which it does not store. It has authenticated the client by
 * then; this middleware completes the two endpoints for the resource API's access tokens (RFC 7009,
 * RFC 7662) and leaves every other answer as it was.
 */
export function completeJwtTokenEndpoints(opts: JwtAccessTokenOptions) {
  const read = accessTokenReader(opts);
  return async function jwtTokenEndpoints(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'revocation' && route !== 'introspection') return;
    const client = ctx.oidc.client;
    const param = ctx.oidc.params?.token;
    if (!client || ctx.status !== 400 || typeof param !== 'string' || !refusedAsStructured(ctx)) return;
    const token = await read(param);
    if (route === 'revocation') await revokeAccessToken(ctx, opts.db, client.clientId, token);
    else await introspectAccessToken(ctx, opts.db, client.clientId, token);
  };
}

/** The provider's refusal of a JWT (as JSON; a client asking for HTML got the error page instead). */
function refusedAsStructured(ctx: KoaContextWithOIDC): boolean {
  const body = ctx.body as { error?: unknown } | undefined;
  return typeof body === 'object' && body !== null && body.error === 'unsupported_token_type';
}
