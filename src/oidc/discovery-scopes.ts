import type { KoaContextWithOIDC } from 'oidc-provider';
import { KNOWN_SCOPES } from '../shared/scopes.ts';

/**
 * Discovery (OpenID Connect Discovery §3, RFC 8414 §2) lists every scope a client may register and
 * ask for (DESIGN §7). oidc-provider derives `scopes_supported` from its `scopes`, which must keep to
 * the OIDC scopes (a resource scope there would be treated as an OIDC one), and its `discovery`
 * option cannot override derived values; so the list is completed on the way out.
 */
export async function listEveryScope(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'discovery' || ctx.status !== 200 || !ctx.body || typeof ctx.body !== 'object') return;
  (ctx.body as Record<string, unknown>).scopes_supported = [...KNOWN_SCOPES];
}
