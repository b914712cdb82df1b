import type { FastifyError, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { registerFormProtection } from '../shared/csrf.ts';
import { demoAccountsRoutes } from './demo-accounts.routes.ts';
import { DemoBankApi } from './demo-bank-api.ts';
import { DEMO_CLIENT_ID, ensureDemoClient, loadOrCreateDemoClientKey, type DemoClientKey } from './demo-client.ts';
import type { DemoContext } from './demo-context.ts';
import { demoLinkRoutes } from './demo-link.routes.ts';
import { createDemoOAuth } from './demo-oauth.ts';
import { DemoPages } from './demo-pages.ts';
import { partnerBrandOf } from './demo-partner.ts';
import { DEMO_PATH, DemoSessionCookie } from './demo-session-cookie.ts';
import { DemoSessions } from './demo-sessions.ts';
import { demoTransferRoutes } from './demo-transfer.routes.ts';

/**
 * `/demo`: the partner demo かんたん家計簿 (DESIGN §9, §12) — a small web app of the demo partner
 * that links a bank account through the real journey and shows what the resource API returns. It is
 * an ordinary OAuth client of this server: PAR, PKCE S256, private_key_jwt, DPoP-bound tokens
 * (FAPI 2.0, DESIGN §7), through openid-client v6 over HTTPS. Nothing here reaches into the
 * authorization server's or the API's code; everything goes over the wire.
 *
 * Pages need no JavaScript and load nothing from outside (the site's CSP holds).
 */
export interface DemoPluginOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  /** PEM of the server certificate the demo trusts when calling its own issuer (loopback only). */
  serverCertificate: string;
  /** The client key: given (tests), or kept in this directory (default DATA_DIR). */
  key?: DemoClientKey;
  keyDir?: string;
  /** Sign the session cookie (app-wide) and derive the demo's CSRF key (newest first). */
  cookieKeys: string[];
  sessions?: DemoSessions;
}

export async function demoPlugin(app: FastifyInstance, opts: DemoPluginOptions): Promise<void> {
  const { config, db } = opts;
  const key = opts.key ?? (await loadOrCreateDemoClientKey(opts.keyDir ?? config.dataDir));
  await ensureDemoClient(db, config, key);
  const oauth = createDemoOAuth({ issuer: config.publicUrl, serverCertificate: opts.serverCertificate, key });
  app.addHook('onClose', async () => oauth.close());
  const brand = partnerBrandOf(db, DEMO_CLIENT_ID);
  if (!(await brand())) app.log.warn({ clientId: DEMO_CLIENT_ID }, 'demo: the demo client or its partner is not active at the bank');

  const sessions = new DemoSessionCookie(opts.sessions ?? new DemoSessions());
  const verifyForm = await registerFormProtection(app, {
    cookieName: 'kakeibo_csrf', cookiePath: DEMO_PATH, cookieKey: opts.cookieKeys[0]!, label: 'demo',
    bindTo: (request) => sessions.current(request)?.id ?? '',
  });
  const ctx: DemoContext = { config, oauth, api: new DemoBankApi(oauth, config.publicUrl), pages: new DemoPages(brand), sessions, verifyForm };

  // A form without this session's token: its session ended, or it was never this browser's.
  app.setErrorHandler(async function demoErrorHandler(err: FastifyError, _request, reply) {
    if (err.code?.startsWith('FST_CSRF_')) return ctx.pages.expired(reply);
    throw err; // everything else: the root error handler
  });

  demoLinkRoutes(app, ctx);
  demoAccountsRoutes(app, ctx);
  demoTransferRoutes(app, ctx);
}
