import { randomUUID } from 'node:crypto';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from './config/config.schema.ts';
import type { Database } from './db/database.ts';
import { healthRoutes } from './health/health.routes.ts';
import { interactionsRoutes } from './interactions/interactions.routes.ts';
import { certificateJourneyRoutes } from './interactions/certificate.step.ts';
import { certificateLoginScreens } from './internet-banking/certificate-login.routes.ts';
import { createAuthorizationServer } from './oidc/authorization-server.ts';
import { registerArtifactScope } from './oidc/artifact-scope.ts';
import { mountProvider } from './oidc/oidc.plugin.ts';
import { resourceApi } from './resource-api/resource-api.plugin.ts';
import { landingRoutes, type LandingLink } from './landing/landing.routes.ts';
import { deriveCodeKey } from './business-id/confirmations.service.ts';
import { internetBankingPlugin } from './internet-banking/ib.plugin.ts';
import { createMailer } from './mail/mailer.ts';
import { mailboxRoutes } from './dev-mailbox/dev-mailbox.routes.ts';
import { registerErrorHandling } from './shared/error-handler.ts';
import { registerInputGuard } from './shared/input-guard.ts';
import { registerSecurityHeaders } from './shared/security-headers.ts';
import { ErrorResponseSchema } from './shared/error.schemas.ts';
import { PUBLIC_DIR, registerViews } from './shared/views.ts';
import { demoPlugin } from './demo/demo.plugin.ts';
import { loadBankCa, type BankCa } from './certificates/bank-ca.ts';
import { pkiRoutes } from './pki/pki.routes.ts';
import { certificateRetrievalPlugin } from './certificate-retrieval/certificate-retrieval.plugin.ts';

export interface AppDeps {
  config: Readonly<Config>;
  db: Kysely<Database>;
  logger: Logger;
  /** Resolved at start-up: configured, or generated and kept in DATA_DIR (see local-secrets.ts). */
  secrets: AppSecrets;
  /** The authorization server, built once and shared by both listeners; built here when absent. */
  provider?: Provider;
  /** The bank CA (DESIGN §14), loaded once at start-up; loaded on first use when absent. */
  bankCa?: BankCa;
}

export interface AppSecrets {
  /** Newest first; the first signs, all verify (rotation). */
  cookieKeys: string[];
  /** 32 bytes: encrypts signing keys and the CA key at rest. */
  keyEncryptionKey: Buffer;
}

/** Which listener an app instance serves (DESIGN §3): the main origin, or the mutual-TLS origin. */
export type Listener = 'main' | 'mtls';

export interface BuildOptions {
  listener?: Listener;
  /** TLS options for the listener; omitted in tests that only use `inject`. */
  https?: HttpsServerOptions;
  /**
   * The partner demo at /demo (DESIGN §9, §12), on the main listener when the demo data is on: the
   * server certificate it trusts when calling this server, and where its client key lives (default DATA_DIR).
   */
  demo?: { serverCertificate: string; keyDir?: string };
}

/**
 * Builds one Fastify application for one listener. `server.ts` is the only file that listens; tests
 * build apps and use `inject` or listen on port 0. Surfaces are plugins, so a deployment can later
 * split them across processes.
 */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const listener = options.listener ?? 'main';
  // Typed as Fastify's logger, so the instance is the plain FastifyInstance every plugin expects.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const server = Fastify({
    loggerInstance,
    https: options.https ?? null,
    // Forwarded headers count only from the configured proxies (DESIGN §3).
    trustProxy: config.trustProxy ? config.trustedProxies : false,
    requestIdHeader: config.trustProxy ? 'x-request-id' : false,
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    // One line per request (below) instead of Fastify's two: half the logging cost on every call.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  // Routes read their request types from their TypeBox schemas; the hooks below are type-agnostic.
  const app = server.withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorResponseSchema);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request.raw, res: reply.raw, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
  });

  registerSecurityHeaders(server);
  await app.register(cookie, { secret: deps.secrets.cookieKeys });
  await app.register(formbody);
  // Every form, query and JSON body Fastify parses is refused here if it carries a NUL or a lone surrogate.
  registerInputGuard(server);
  await registerViews(server);
  registerErrorHandling(server);
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/assets/', index: false, maxAge: '1h' });

  await app.register(healthRoutes, { db: deps.db });
  await app.register(pkiRoutes, { db: deps.db, bankCa: async () => deps.bankCa ?? loadBankCa(deps.db, { keyEncryptionKey: deps.secrets.keyEncryptionKey, files: config.ca }) });

  // API連携認証 (DESIGN §6–§7): the provider on both origins (mtls_endpoint_aliases on the second),
  // the journey's screens on the main one, certificate login on the mutual-TLS one.
  const provider = deps.provider ?? (await createAuthorizationServer(deps));
  // Before the provider's middleware: each request's own identity map of protocol artifacts.
  registerArtifactScope(server);
  await mountProvider(server, provider);
  if (listener === 'main') {
    await app.register(interactionsRoutes, { provider, db: deps.db, config, cookieKeys: deps.secrets.cookieKeys });
  } else {
    // Certificate login (DESIGN §14): 手順1-1 of the journey and internet banking's 電子証明書ログイン.
    const certificateDeps = { db: deps.db, config, cookieKeys: deps.secrets.cookieKeys, bankCa: sharedBankCa(deps) };
    await app.register(certificateJourneyRoutes, { provider, ...certificateDeps });
    await app.register(certificateLoginScreens, certificateDeps);
  }

  // Mail of internet banking and of 振込依頼 (approvers notified), on both listeners' surfaces.
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, db: deps.db, logger: deps.logger });
  app.addHook('onClose', async () => mailer.close());

  // 電子証明書の取得 on the main origin (no login), 更新 with the presented certificate on the mutual-TLS one (DESIGN §14).
  await app.register(certificateRetrievalPlugin, { db: deps.db, config, cookieKeys: deps.secrets.cookieKeys, bankCa: sharedBankCa(deps), listener });

  // Resource API (DESIGN §8): DPoP on the main origin, certificate-bound tokens on the mutual-TLS one.
  await app.register(resourceApi, {
    db: deps.db, config, keyEncryptionKey: deps.secrets.keyEncryptionKey,
    origin: listener === 'main' ? config.publicUrl : config.mtlsPublicUrl, mailer,
  });

  // Internet banking with ビジネスID管理 (DESIGN §5, §12): /ib/*, and the development mailbox.
  if (listener === 'main') {
    await app.register(internetBankingPlugin, {
      db: deps.db, config, mailer, codeKey: deriveCodeKey(deps.secrets.keyEncryptionKey), cookieKeys: deps.secrets.cookieKeys,
    });
    if (config.devMailbox) await app.register(mailboxRoutes, { db: deps.db });
  }
  // The partner demo かんたん家計簿 (DESIGN §9, §12): /demo, when the demo data is on.
  if (listener === 'main' && config.seedDemoData && options.demo) {
    await app.register(demoPlugin, { db: deps.db, config, cookieKeys: deps.secrets.cookieKeys, ...options.demo });
  }
  if (listener === 'main') {
    await app.register(landingRoutes, { links: landingLinks(config, Boolean(config.seedDemoData && options.demo)), publicUrl: config.publicUrl });
  }
  return server;
}

/** The bank CA as given, or loaded once on first use (a failed load is tried again next time). */
function sharedBankCa(deps: AppDeps): () => Promise<BankCa> {
  let loading: Promise<BankCa> | undefined;
  return () => (loading ??= (deps.bankCa ? Promise.resolve(deps.bankCa) : loadBankCa(deps.db, { keyEncryptionKey: deps.secrets.keyEncryptionKey, files: deps.config.ca }))
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}

/** Only what this deployment serves; later surfaces add their entry here (DESIGN §12 labels). */
function landingLinks(config: Readonly<Config>, demo: boolean): LandingLink[] {
  return [
    // The partner demo first (DESIGN §12).
    ...(demo ? [{ href: '/demo', label: { ja: 'デモ: かんたん家計簿', en: 'デモ: かんたん家計簿' }, description: { ja: '家計簿アプリとして口座を連携し、残高と入出金明細を表示します（API連携認証を体験）', en: 'Link an account as a household-budget app would and see its balances and statements' } }] : []),
    // Internet banking, and the development mailbox when it is on.
    { href: '/ib/login', label: { ja: 'インターネットバンキング ログイン', en: 'Internet banking login' }, description: { ja: 'ビジネスID管理・お客さま情報（申込・設定）・ログイン・操作履歴', en: 'Business ID management, settings, login and operation history' } },
    ...(config.devMailbox ? [{ href: '/dev/mailbox', label: { ja: '開発用メールボックス', en: 'Development mailbox' }, description: { ja: '送信せずに保存したメール', en: 'Mail stored instead of sent' } }] : []),
    // the resource API's documentation (DESIGN §8, §12)
    { href: '/api/docs', label: { ja: 'APIドキュメント', en: 'API documentation' }, description: { ja: 'API（口座・残高・入出金明細・振込）の仕様', en: 'The resource API: accounts, balances, statements, transfers' } },
  ];
}
