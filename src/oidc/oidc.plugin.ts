import type { IncomingMessage, ServerResponse } from 'node:http';
import middie from '@fastify/middie';
import type { FastifyInstance } from 'fastify';
import type { Provider } from 'oidc-provider';

const WELL_KNOWN = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

/** The most oidc-provider reads of a request body (lib/shared/selective_body.js); it refuses more. */
const PROVIDER_BODY_LIMIT = 56 * 1024;

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
      if (Number(req.headers['content-length']) > PROVIDER_BODY_LIMIT) {
        refuseLargeBody(res);
        return;
      }
      closeUnlessBodyRead(req, res);
      // Responses of the protocol endpoints must never be cached by intermediaries (RFC 6749 §5.1).
      void callback(req, res);
      return;
    }
    next();
  });
}

/**
 * A body over the provider's limit is refused before it is read, as Fastify refuses one over its own
 * (413, connection closed): the rest of it is never read, so the connection cannot carry another request.
 */
function refuseLargeBody(res: ServerResponse): void {
  res.writeHead(413, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(JSON.stringify({ error: 'invalid_request', error_description: 'The request body is too large.' }));
}

/**
 * The provider stops reading a body that turns out too large (chunked, without a length) and answers
 * 400, leaving the rest unread: the next request on that keep-alive connection would never be parsed.
 * Such an answer closes the connection instead, as Fastify's body parser does.
 */
function closeUnlessBodyRead(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function closingWriteHead(this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete) this.setHeader('connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}
