import type { KoaContextWithOIDC } from 'oidc-provider';
import { OIDC_SCOPES } from '../shared/scopes.ts';

/**
 * A client may ask for the OpenID Connect scopes the bank allows it (its registered `scope`), no
 * others: `invalid_scope` at PAR. oidc-provider checks a client's `scope` only when it names at least
 * one OIDC scope (a client registered with API scopes only has none, DESIGN §15, and an empty one is
 * invalid metadata), and it drops `offline_access` without prompt=consent before that check, while
 * renkei still grants it (offline-access.ts). So the request as sent is checked here, once the
 * provider has authenticated the client and accepted it; the pushed request it stored is never handed
 * out and expires within a minute.
 */
export async function refuseUnregisteredOidcScopes(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'pushed_authorization_request' || ctx.status !== 201 || !ctx.oidc.client) return;
  const registered = String(ctx.oidc.client.scope ?? '').split(' ');
  // As sent in the form, and as the provider read it (from a request object, too).
  const sent = [(ctx.oidc.body as Record<string, unknown> | undefined)?.scope, ctx.oidc.params?.scope].map((v) => String(v ?? '')).join(' ').split(' ');
  const refused = [...new Set(sent.filter((s) => OIDC_SCOPES.includes(s) && !registered.includes(s)))];
  if (refused.length === 0) return;
  ctx.status = 400;
  ctx.body = { error: 'invalid_scope', error_description: 'requested scope is not allowed', scope: refused.join(' ') };
}
