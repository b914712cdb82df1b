import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { recordAudit } from '../audit/audit.repository.ts';
import type { Database } from '../db/database.ts';
import { endGrantOfProvider } from '../partners/grants.service.ts';
import { isDatabaseUnavailable } from '../shared/db-errors.ts';

const PENDING = 'renkeiPendingWrites';

/**
 * Event listeners cannot be awaited by the provider; the request's writes they start are collected
 * on the context and awaited before the response leaves, so a client that revoked a token and then
 * calls the API already finds the grant ended.
 */
export async function settlePendingWrites(ctx: { state: Record<string, unknown> }): Promise<void> {
  const pending = ctx.state[PENDING] as Promise<unknown>[] | undefined;
  if (pending?.length) await Promise.all(pending);
}

/**
 * Keeps the bank's grant records in step with the provider, and puts protocol failures in the log:
 * when oidc-provider revokes a grant (code reuse, refresh-token revocation, RFC 7009), the `grants`
 * row ends too and an audit event says why. `grant.error` carries the real reason only in
 * `error_detail`, which responses never show.
 */
export function subscribeProviderEvents(provider: Provider, db: Kysely<Database>, log: Logger): void {
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const route = ctx?.oidc?.route;
    const by = route === 'revocation' ? 'partner' : 'system';
    const reason = route === 'revocation' ? 'revoked by the client (RFC 7009)' : route === 'token' ? 'authorization code or refresh token reuse' : `oidc-provider (${route ?? 'unknown'})`;
    const context = ctx ? { ip: ctx.ip, userAgent: ctx.get('user-agent') } : undefined;
    const write = endGrantOfProvider(db, { oidcGrantId: grantId, by, reason, context }).catch((err: unknown) => log.error({ err, grantId }, 'could not end the bank grant'));
    if (ctx) (ctx.state[PENDING] ??= []).push(write);
  });
  for (const event of ['grant.error', 'pushed_authorization_request.error', 'authorization.error', 'introspection.error', 'revocation.error', 'registration_create.error', 'userinfo.error'] as const) {
    // The per-event overloads of @types/oidc-provider do not accept a union of names.
    (provider.on as (e: string, l: (ctx: KoaContextWithOIDC, err: Error & { error?: string; error_detail?: string }) => void) => void)(event, (ctx, err) => {
      // JWT access tokens are revoked and introspected by our own step after the provider's answer
      // (structured-token-endpoints.ts): that answer is not a refusal the client sees.
      if (err.error === 'unsupported_token_type') return;
      log.info({ event, clientId: ctx?.oidc?.client?.clientId, error: err.error, detail: err.error_detail ?? err.message }, 'oauth request refused');
    });
  }
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    // An outage is answered 503 (outage.ts) and is not a fault of ours: a warning, as on every surface.
    if (isDatabaseUnavailable(err)) log.warn({ err, route: ctx?.oidc?.route }, 'service unavailable');
    else log.error({ err, route: ctx?.oidc?.route }, 'oidc-provider server error');
  });
  provider.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    const write = recordAudit(db, { type: 'client.registered', details: { clientId: client.clientId }, context: { ip: ctx.ip, userAgent: ctx.get('user-agent') } })
      .catch((err: unknown) => log.error({ err }, 'could not audit a registration'));
    (ctx.state[PENDING] ??= []).push(write);
  });
}
