import { createHmac } from 'node:crypto';
import csrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';

/**
 * The one CSRF mechanism of every browser surface (DESIGN §13): @fastify/csrf-protection's synchronizer
 * tokens, the secret in a signed, httpOnly cookie, each token bound to what the surface calls a session
 * (the interaction, the internet-banking session, the demo's session), so a token lifted from one
 * session is refused in another. Registered inside each surface's own plugin (encapsulated), so each
 * surface has its own cookie and key.
 */
export interface FormProtectionOptions {
  /** The surface's secret cookie (distinct per surface). */
  cookieName: string;
  cookiePath: string;
  sameSite?: 'strict' | 'lax';
  /** The app's cookie key (newest first), and a label that derives this surface's own HMAC key from it. */
  cookieKey: string;
  label: string;
  /** The session the token is bound to; the same value must be found when the form comes back. */
  bindTo: (request: FastifyRequest) => string;
}

declare module 'fastify' {
  interface FastifyReply {
    /** A token for a form of this surface, bound to the current session (sets the secret cookie on first use). */
    formToken(): string;
  }
}

/** Registers the mechanism on the surface's plugin; returns the preHandler for its state-changing routes. */
export async function registerFormProtection(app: FastifyInstance, o: FormProtectionOptions): Promise<preHandlerHookHandler> {
  // @fastify/csrf refuses an empty binding outright; a page before any session still needs a token.
  const binding = (request: FastifyRequest) => `session:${o.bindTo(request)}`;
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: o.cookieName,
    cookieOpts: { path: o.cookiePath, httpOnly: true, secure: true, sameSite: o.sameSite ?? 'lax', signed: true },
    getUserInfo: (request: FastifyRequest) => binding(request),
    csrfOpts: { hmacKey: createHmac('sha256', o.cookieKey).update(`renkei csrf ${o.label}`).digest() },
  });
  // One token per request: a second secret minted in the same request would orphan the first token.
  const issued = new WeakMap<FastifyRequest, string>();
  app.decorateReply('formToken', function formToken(this: FastifyReply) {
    let token = issued.get(this.request);
    if (token === undefined) {
      token = this.generateCsrf({ userInfo: binding(this.request) } as never);
      issued.set(this.request, token);
    }
    return token;
  });
  // Refusals surface as FST_CSRF_* errors, which the error handlers answer with `csrf_invalid` (403).
  return function verifyFormToken(request, reply, done) {
    app.csrfProtection(request, reply, done);
  };
}
