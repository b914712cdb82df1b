import middie from '@fastify/middie';
import type { FastifyInstance } from 'fastify';
import type { Provider } from 'oidc-provider';

const WELL_KNOWN = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

/**
 * Mounts oidc-provider on the Fastify app: every `/oauth2/*` path and the two discovery documents go
 * to the provider with the raw request stream (middie runs in onRequest, before any body parser);
 * every other path stays Fastify's. Not encapsulated, because middie must see the root's requests.
 * @see ../shared/reference/oidc-provider.md §2.2
 */
export async function mountProvider(app: FastifyInstance, provider: Provider): Promise<void> {
  const callback = provider.callback();
  await app.register(middie);
  app.use(function oidcProvider(req, res, next) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/oauth2/') || WELL_KNOWN.has(path)) {
      // The provider answers on the raw response, past Fastify's onSend hooks: the request id that
      // every response carries (DESIGN §8) is set here (middie copies Fastify's id onto the raw request).
      const id = (req as { id?: unknown }).id;
      if (typeof id === 'string') res.setHeader('x-request-id', id);
      // Responses of the protocol endpoints must never be cached by intermediaries (RFC 6749 §5.1).
      void callback(req, res);
      return;
    }
    next();
  });
}
