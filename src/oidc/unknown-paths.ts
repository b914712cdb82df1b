import type { Provider } from 'oidc-provider';
import { ERROR_MESSAGES } from '../shared/errors.ts';

/**
 * A path under the provider's mount that names no endpoint (a feature that is off, a method an
 * endpoint does not take, a typo) gets the error format of the protocol endpoints, `{ error,
 * error_description }` with the house's `not_found` code, instead of Koa's plain-text "Not Found":
 * every error has a code and a message (DESIGN §11).
 */
export function answerUnknownPathsInTheErrorFormat(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    ctx.status = 404;
    ctx.type = 'application/json; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = { error: 'not_found', error_description: ERROR_MESSAGES.not_found.en };
  });
}
