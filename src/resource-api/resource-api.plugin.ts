import { hkdfSync } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { AppError, GMO_API_BASES } from '../shared/errors.ts';
import { AccessTokenVerifier } from './access-token.ts';
import { AccountSchema, BalanceSchema, TransactionSchema } from './accounts.schemas.ts';
import { accountsRoutes } from './accounts.routes.ts';
import { createAuthenticator } from './authenticate.ts';
import { DpopNonces } from './dpop.ts';
import type { Mailer } from '../mail/mailer.ts';
import { transfersRoutes } from './transfers.routes.ts';
import { TransferDetailSchema, TransferErrorSchema, TransferItemSchema } from './transfers.schemas.ts';
import { protectedResourceMetadataRoute } from './protected-resource-metadata.ts';

export interface ResourceApiOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  keyEncryptionKey: Buffer;
  /** The public origin of this listener: the main one (DPoP) or the mutual-TLS one (certificate-bound tokens). */
  origin: string;
  /** Require server-provided DPoP nonces (RFC 9449 §9); off by default. */
  requireDpopNonce?: boolean;
  /** Hands over the mail a 振込依頼 wrote to the outbox; without it the jobs' sweeps do. */
  mailer?: Mailer;
}

/**
 * The resource API (DESIGN §8) under /api/v1 and GMO Aozora's two base paths, its OpenAPI 3 document
 * at /api/v1/openapi.json (from the route schemas, /api/v1 only) and a browsable page at /api/docs.
 * Every call is authenticated before its input is validated, then rate-limited per client. Independent of oidc-provider: tokens are verified with
 * the signing keys in the database.
 */
export async function resourceApi(app: FastifyInstance, opts: ResourceApiOptions): Promise<void> {
  const { config, db } = opts;
  await app.register(swagger, {
    openapi: {
      // 3.1: the first version with the mutualTLS security scheme type.
      openapi: '3.1.0',
      info: {
        title: 'renkei API（参照系・振込）',
        version: '1.0.0',
        description: 'Accounts, balances and statements for API連携先, and 振込 requests that the account holder approves in internet banking (申請・承認一覧). Conventions: JSON UTF-8, numbers as strings, dates YYYY-MM-DD, times HH:MM:SS+09:00 (JST), empty values omitted. Authenticate with `Authorization: DPoP <token>` and a DPoP proof (RFC 9449), or `Authorization: Bearer <token>` over the mutual-TLS origin with the certificate the token is bound to (RFC 8705). '
          + `For GMO Aozora integrations the same operations are served under ${GMO_API_BASES.corporation} (法人) and ${GMO_API_BASES.personal} (個人), `
          + 'where errors are GMO\'s ErrorResponse and, on the mutual-TLS origin, `x-access-token: <token>` stands for `Authorization: Bearer`. Unknown query parameters are ignored.',
      },
      servers: [{ url: config.publicUrl }, { url: config.mtlsPublicUrl, description: 'mutual TLS (certificate-bound tokens)' }],
      components: {
        securitySchemes: {
          DPoP: { type: 'http', scheme: 'DPoP', description: 'DPoP-bound access token (RFC 9449) with a DPoP proof header' },
          mtls: { type: 'mutualTLS', description: 'certificate-bound access token (RFC 8705) as Bearer over the mutual-TLS origin' },
          // The scopes of each operation: the authorization server's, as its discovery document lists them.
          oidc: {
            type: 'openIdConnect', openIdConnectUrl: `${config.publicUrl}/.well-known/openid-configuration`,
            description: 'Access tokens from renkei (FAPI 2.0: PAR, authorization code with PKCE, private_key_jwt or tls_client_auth). '
              + 'Scopes (利用業務): balances 残高照会, transactions 入出金明細照会, transfers 振込 (依頼のみ。承認はお客さまがインターネットバンキングで行います); offline_access for a refresh token. '
              + `Resource metadata (RFC 9728): ${config.publicUrl}/.well-known/oauth-protected-resource/api/v1`,
          },
        } as never,
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { validatorUrl: null, docExpansion: 'list', deepLinking: false },
    staticCSP: true,
    // The page loads nothing from outside the bank (no https: wildcards, no external validator).
    transformStaticCSP: (header) => header.replace(/ https:/g, '').replace(' validator.swagger.io', '').replace(' upgrade-insecure-requests;', ''),
    transformSpecificationClone: true,
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (opts.origin === config.publicUrl) await app.register(protectedResourceMetadataRoute, { config });

  const nonceKey = Buffer.from(hkdfSync('sha256', opts.keyEncryptionKey, Buffer.alloc(0), 'renkei resource dpop nonce', 32));
  const nonces = new DpopNonces(nonceKey);
  const authenticate = createAuthenticator({
    db, config, nonces, origin: opts.origin, requireDpopNonce: opts.requireDpopNonce ?? false,
    acceptAccessTokenHeader: opts.origin === config.mtlsPublicUrl,
    verifier: new AccessTokenVerifier(db, { issuer: config.publicUrl, audience: config.apiIdentifier }),
  });

  // One context for the three bases, so they share authentication, the per-client rate limit and its counters.
  await app.register(async function resourceRoutes(api) {
    for (const s of [AccountSchema, BalanceSchema, TransactionSchema, TransferItemSchema, TransferDetailSchema, TransferErrorSchema]) api.addSchema(s);
    api.decorateRequest('apiAuth', null as never);
    // Authentication first, so a bad token is a 401 whatever else is wrong with the request.
    api.addHook('preValidation', async function authenticateApiCall(request) {
      request.apiAuth = await authenticate(request);
    });
    await api.register(rateLimit, {
      hook: 'preHandler',
      max: config.apiRateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.apiAuth?.claims.client_id ?? request.ip,
      errorResponseBuilder: (_request, context) => new AppError(429, 'rate_limited', { headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) } }),
    });
    api.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      // When nonces are required, every answer carries a fresh one so clients need not fail first.
      if (opts.requireDpopNonce) reply.header('dpop-nonce', nonces.current());
    });
    await api.register(accountsRoutes, { db, prefix: '/api/v1' });
    await api.register(accountsRoutes, { db, gmo: { customerKind: 'corporate' }, prefix: GMO_API_BASES.corporation });
    await api.register(accountsRoutes, { db, gmo: { customerKind: 'individual' }, prefix: GMO_API_BASES.personal });
    // 振込 (DESIGN §17), on the same three bases.
    const transfers = { db, mailer: opts.mailer, settings: { applyTtlHours: config.transferApplyTtlHours, bankCode: config.bankCode } };
    await api.register(transfersRoutes, { ...transfers, prefix: '/api/v1' });
    await api.register(transfersRoutes, { ...transfers, gmo: { customerKind: 'corporate' }, prefix: GMO_API_BASES.corporation });
    await api.register(transfersRoutes, { ...transfers, gmo: { customerKind: 'individual' }, prefix: GMO_API_BASES.personal });
  });
}
