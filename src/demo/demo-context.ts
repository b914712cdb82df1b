import type { preHandlerHookHandler } from 'fastify';
import type { Config } from '../config/config.schema.ts';
import type { DemoBankApi } from './demo-bank-api.ts';
import type { DemoOAuth } from './demo-oauth.ts';
import type { DemoPages } from './demo-pages.ts';
import type { DemoSessionCookie } from './demo-session-cookie.ts';

/** What the demo's screen flows share, built once by demo.plugin.ts. */
export interface DemoContext {
  config: Readonly<Config>;
  oauth: DemoOAuth;
  api: DemoBankApi;
  pages: DemoPages;
  sessions: DemoSessionCookie;
  /** The CSRF check of every state-changing form (shared/csrf.ts), bound to the demo session. */
  verifyForm: preHandlerHookHandler;
}
