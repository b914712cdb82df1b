import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { asOneRequest } from '../db/create-db.ts';
import { isDatabaseUnavailable } from '../shared/db-errors.ts';
import { ERROR_MESSAGES, serviceUnavailable } from '../shared/errors.ts';
import { pickLang } from '../shared/i18n.ts';

const OUTAGE = 'renkeiDatabaseUnavailable';

/** RFC 6749 error_description is ASCII only: the English text, as the house's 503 says it. */
const DESCRIPTION = ERROR_MESSAGES.service_unavailable.en;

type RenderError = (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }, error: Error) => Promise<void>;

/**
 * While the database cannot be reached, the provider's endpoints answer as every other surface does
 * (DESIGN §11): 503 with Retry-After, never 500. The body keeps the OAuth error format, with
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1); a browser gets the error page.
 *
 * The provider's per-route error handler turns every failure into `server_error` before middleware
 * registered with `provider.use` sees it, and tells only its `server_error` event the cause: the event
 * marks the request, and this middleware, which wraps every route, rewrites the answer. A failure
 * after the route (in other `provider.use` middleware) reaches this one as a thrown error. Within
 * one request, the database is asked only until it proved unreachable (asOneRequest).
 */
export function answerDatabaseOutagesWith503(provider: Provider, renderError: RenderError): void {
  provider.on('server_error', (ctx: KoaContextWithOIDC | undefined, err: unknown) => {
    if (ctx && isDatabaseUnavailable(err)) ctx.state[OUTAGE] = err;
  });
  provider.use(async (ctx, next) => {
    try {
      await asOneRequest(next);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      ctx.state[OUTAGE] = err;
    }
    const cause = ctx.state[OUTAGE] as Error | undefined;
    if (!cause) return;
    const unavailable = serviceUnavailable(cause);
    ctx.status = unavailable.status;
    for (const [name, value] of Object.entries(unavailable.headers)) ctx.set(name, value);
    ctx.set('cache-control', 'no-store');
    if (ctx.accepts('json', 'html') === 'html') {
      const lang = pickLang(ctx.headers, undefined);
      await renderError(ctx as KoaContextWithOIDC, { error: 'temporarily_unavailable', error_description: ERROR_MESSAGES.service_unavailable[lang] }, cause);
      // The page renderer reads the status it was given; it must not have changed it.
      ctx.status = unavailable.status;
      return;
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = { error: 'temporarily_unavailable', error_description: DESCRIPTION };
  });
}
