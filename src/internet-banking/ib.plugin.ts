import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { registerFormProtection } from '../shared/csrf.ts';
import { LANG_COOKIE } from '../shared/i18n.ts';
import { registerLoginThrottle } from '../shared/login-throttle.ts';
import { tokenHash } from '../shared/secret-hash.ts';
import { accountScreens } from './accounts.routes.ts';
import { approvalScreens } from './approvals.routes.ts';
import { auditScreen } from './audit.routes.ts';
import { certificateHandoffScreen } from './certificate-login.routes.ts';
import { businessIdScreens } from './business-id/business-id.plugin.ts';
import { homeScreen } from './home.routes.ts';
import { queryLang, sessionToken, type IbDeps } from './ib-pages.ts';
import { linksScreens } from './links.routes.ts';
import { loginScreens } from './login.routes.ts';
import { passwordResetScreens } from './password-reset.routes.ts';
import { settingsScreens } from './settings.routes.ts';
import { setupScreens } from './setup.routes.ts';

/** A `?lang=` choice is remembered for the next pages (and the other surfaces). */
async function rememberLanguage(request: FastifyRequest, reply: FastifyReply) {
  const lang = queryLang(request.query);
  if (lang) reply.setCookie(LANG_COOKIE, lang, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
}

/**
 * Form tokens are bound to the session cookie (its SHA-256, never the token itself), so a token from
 * before a login, or from another browser's session, is refused after it. Without a session they are
 * bound to a fixed word: @fastify/csrf refuses every token whose binding is empty.
 */
function sessionBinding(request: FastifyRequest): string {
  const token = sessionToken(request);
  return token ? tokenHash(token) : 'no-session';
}

/**
 * Internet banking at `/ib/` (DESIGN §12): ログイン, 初回ログイン時の設定, ログインパスワード再設定, the
 * home menu, ログイン・操作履歴, API連携サービスの利用状況, お客さま情報（申込・設定） and the ビジネスID管理 screens, each flow a
 * plugin of its own sharing the session, the form protection and the throttle registered here.
 */
export const internetBankingPlugin: FastifyPluginAsync<IbDeps> = async function internetBankingPlugin(instance, deps) {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', rememberLanguage);
  const verifyForm = await registerFormProtection(app, {
    cookieName: 'renkei_ib_csrf', cookiePath: '/ib', cookieKey: deps.cookieKeys[0]!, label: 'internet-banking', bindTo: sessionBinding,
  });
  await registerLoginThrottle(app);
  const screens = { ...deps, verifyForm };
  await app.register(loginScreens, screens);
  await app.register(certificateHandoffScreen, screens);
  await app.register(setupScreens, screens);
  await app.register(passwordResetScreens, screens);
  await app.register(homeScreen, screens);
  await app.register(accountScreens, screens);
  await app.register(auditScreen, screens);
  await app.register(linksScreens, screens);
  await app.register(approvalScreens, screens);
  await app.register(settingsScreens, screens);
  await app.register(businessIdScreens, screens);
};
