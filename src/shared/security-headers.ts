import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Strict by default (DESIGN §6): our pages load only their own CSS, no script or inline style, no
 * framing, no referrer. Surfaces that must relax a directive (the consent journey's redirect to a
 * partner) do it for their own routes only.
 */
export const SECURITY_HEADERS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  crossOriginResourcePolicy: { policy: 'same-origin' },
};

/**
 * Helmet's headers on every response. They do not depend on the request (no nonces), so helmet runs
 * once, against a recorder, and each request gets the recorded headers: @fastify/helmet rebuilt the
 * middleware on every request (about 5 % of a /readyz request in `bench readyz`), and even a prebuilt
 * one runs its eleven middlewares per request (about 2.5 % of an API call in `bench api`).
 */
export function registerSecurityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions> = SECURITY_HEADERS): void {
  const { set, removed } = recordedHeaders(options);
  app.addHook('onRequest', function securityHeaders(_request, reply, done) {
    const res = reply.raw;
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    done();
  });
}

/** What helmet sets and removes on a response, in its order. */
function recordedHeaders(options: Readonly<HelmetOptions>): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => { set.push([name, String(value)]); },
    removeHeader: (name: string) => { removed.push(name); },
  };
  let failure: unknown;
  // Helmet's middlewares are synchronous: the callback has run when `helmet(...)(…)` returns.
  helmet(options)({} as never, recorder as never, (err?: unknown) => { failure = err; });
  if (failure) throw failure;
  return { set, removed };
}
