import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { createIbSession } from '../auth/ib-sessions.repository.ts';
import { identifyCertificateHolder, loginWithCertificate, takeHandoff } from '../auth/certificate-login.service.ts';
import { CERTIFICATE_LOGIN_REFUSALS, CERTIFICATE_LOGIN_TEXTS } from '../auth/certificate-login.texts.ts';
import type { BankCa } from '../certificates/bank-ca.ts';
import { presentedCertificate } from '../certificates/from-request.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { registerFormProtection } from '../shared/csrf.ts';
import { translate } from '../shared/i18n.ts';
import { registerLoginThrottle, loginThrottle } from '../shared/login-throttle.ts';
import { SECURITY_HEADERS } from '../shared/security-headers.ts';
import { IB_COOKIE, langOf, render, requestContext, stringField, type IbScreenOptions } from './ib-pages.ts';
import { CsrfField, FormText, LangQuery } from './ib.schemas.ts';
import { SESSION_COOKIE } from './login.routes.ts';

export interface CertificateLoginOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  cookieKeys: string[];
  /** The bank CA; asked on the first request that needs it. */
  bankCa: () => Promise<BankCa>;
}

/** The browser's state (see certificateHandoffScreen): 256 random bits, base64url. */
const STATE = '^[A-Za-z0-9_-]{43}$';
const StateQuery = Type.Object({ ...LangQuery, state: Type.Optional(Type.String({ maxLength: 64 })) });
const PasswordBody = Type.Object({ ...CsrfField, state: FormText(64), password: FormText(1024) });
const HandoffQuery = Type.Object({ ...LangQuery, token: Type.Optional(Type.String({ maxLength: 64 })) });
const STATE_COOKIE = 'renkei_cert_state';
/** The cookie outlives the login it prepares by little: ten minutes to pick a certificate and type a password. */
const STATE_COOKIE_MAX_AGE = 600;
const validState = (v: string | undefined): v is string => v !== undefined && new RegExp(STATE).test(v);

function presented(request: FastifyRequest, config: Readonly<Config>) {
  return presentedCertificate(request.raw, { clientCertHeader: config.clientCertHeader, trustedProxies: config.trustedProxies });
}

/**
 * The CSP of the certificate pages: the form posts here and the answer redirects to the main origin,
 * and Chromium checks `form-action` along the whole redirect chain.
 */
function cspAllowing(origin: string): string {
  const d = (SECURITY_HEADERS.contentSecurityPolicy as { directives: Record<string, string[]> }).directives;
  return Object.entries({ ...d, formAction: [...(d.formAction ?? []), origin] })
    .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v.join(' ')}`)
    .join('; ');
}

/**
 * 電子証明書ログイン of internet banking (DESIGN §14), on the mutual-TLS origin: the browser presents
 * the certificate, the screen names its holder and asks only for the ログインパスワード. Success leaves
 * through a single-use handoff to the main origin, which starts the session there: no cookie of the
 * session is ever set here. The handoff is bound to the state the main origin gave the browser on the
 * way here (`?state=`, kept in the form); the form token is bound to the presented certificate.
 */
export const certificateLoginScreens: FastifyPluginAsyncTypebox<CertificateLoginOptions> = async function certificateLoginScreens(app, deps) {
  const { db, config } = deps;
  const fingerprintOf = (request: FastifyRequest) => presented(request, config)?.fingerprint256 ?? 'no-certificate';
  const verifyForm = await registerFormProtection(app, {
    cookieName: 'renkei_cert_csrf', cookiePath: '/ib/certificate-login', sameSite: 'strict', cookieKey: deps.cookieKeys[0]!, label: 'certificate-login', bindTo: fingerprintOf,
  });
  await registerLoginThrottle(app);
  const throttle = loginThrottle(app, config.loginThrottle);
  const mainOrigin = new URL(config.publicUrl).origin;

  function page(request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>, status = 200) {
    // Responses depend on the certificate (RFC 9440 §2.3); render() also sets no-store.
    reply.header('vary', 'Client-Cert').header('content-security-policy', cspAllowing(mainOrigin));
    return render(request, reply, 'ib/certificate-login', {
      t: translate(CERTIFICATE_LOGIN_TEXTS, langOf(request)), passwordLoginUrl: `${config.publicUrl}/ib/login`, ...data,
    }, status);
  }

  // Without a state (a bookmark, a link from elsewhere) the main origin makes one first.
  const restart = (reply: FastifyReply) => reply.redirect(`${config.publicUrl}/ib/certificate-login/start`, 303);

  app.get('/ib/certificate-login', { schema: { querystring: StateQuery } }, async function showCertificateLogin(request, reply) {
    const { state } = request.query;
    if (!validState(state)) return restart(reply);
    const check = await identifyCertificateHolder(db, await deps.bankCa(), presented(request, config), { channel: 'internet_banking', context: requestContext(request) });
    if (!check.ok) return page(request, reply, { refusal: translate(CERTIFICATE_LOGIN_REFUSALS, langOf(request))[check.reason] }, 403);
    return page(request, reply, { holder: check.holder, state });
  });

  app.post('/ib/certificate-login', {
    schema: { body: PasswordBody, querystring: Type.Object(LangQuery) }, attachValidation: true, preHandler: [verifyForm, throttle],
  }, async function certificateLogIn(request, reply) {
    const lang = langOf(request);
    const refusals = translate(CERTIFICATE_LOGIN_REFUSALS, lang);
    const state = stringField(request.body, 'state');
    if (!validState(state)) return restart(reply);
    // A malformed form is a wrong password: nothing more is said.
    const password = request.validationError ? '' : request.body.password;
    const result = await loginWithCertificate(db, await deps.bankCa(), {
      certificate: presented(request, config), password, channel: 'internet_banking', target: { purpose: 'internet_banking', state }, context: requestContext(request),
    });
    if (result.ok) return reply.redirect(`${config.publicUrl}/ib/certificate-login/complete?token=${result.handoffToken}`, 303);
    if (result.reason === 'wrong_password') {
      const hint = result.failuresLeft ? translate(CERTIFICATE_LOGIN_TEXTS, lang).failuresLeft(result.failuresLeft) : '';
      return page(request, reply, { holder: result.holder, state, error: `${refusals.wrong_password}${hint}` }, 401);
    }
    return page(request, reply, { refusal: refusals[result.reason] }, 403);
  });
};

/**
 * The main origin's ends of certificate login. `start` (the 電子証明書ログイン button) gives the browser a
 * random state in a cookie of this origin and sends it to the mutual-TLS origin with it; `complete` takes
 * the handoff up once, only in the browser holding that state (so a handoff link sent to someone else
 * logs nobody in: no login CSRF), and starts the internet-banking session, a cookie of this origin only.
 * A replayed, expired or foreign link starts nothing.
 */
export const certificateHandoffScreen: FastifyPluginAsyncTypebox<IbScreenOptions> = async function certificateHandoffScreen(app, deps) {
  const stateCookie = { signed: true, httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/ib/certificate-login' };

  app.get('/ib/certificate-login/start', { schema: { querystring: Type.Object(LangQuery) } }, async function startCertificateLogin(_request, reply) {
    const state = randomBytes(32).toString('base64url');
    reply.setCookie(STATE_COOKIE, state, { ...stateCookie, maxAge: STATE_COOKIE_MAX_AGE });
    return reply.redirect(`${deps.config.mtlsPublicUrl}/ib/certificate-login?state=${state}`, 303);
  });

  app.get('/ib/certificate-login/complete', { schema: { querystring: HandoffQuery } }, async function completeCertificateLogin(request, reply) {
    const raw = request.cookies[STATE_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    const state = unsigned?.valid && validState(unsigned.value ?? undefined) ? unsigned.value! : undefined;
    reply.clearCookie(STATE_COOKIE, { path: stateCookie.path });
    // Without the state nothing can match; the attempt is still audited against the token's user.
    const taken = await takeHandoff(deps.db, request.query.token, { purpose: 'internet_banking', state: state ?? '' }, requestContext(request));
    if (!taken) {
      const t = translate(CERTIFICATE_LOGIN_TEXTS, langOf(request));
      return render(request, reply, 'ib/certificate-login', { t, refusal: t.handoffInvalid, passwordLoginUrl: '/ib/login', handoff: true }, 400);
    }
    reply.setCookie(IB_COOKIE, await createIbSession(deps.db, taken.userId), SESSION_COOKIE);
    return reply.redirect(taken.status === 'setup_required' ? '/ib/setup' : '/ib/', 303);
  });
};
