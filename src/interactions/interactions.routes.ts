import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { errors, type Provider } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { registerFormProtection } from '../shared/csrf.ts';
import { AppError } from '../shared/errors.ts';
import { LANG_COOKIE, pickLang } from '../shared/i18n.ts';
import { registerLoginThrottle } from '../shared/login-throttle.ts';
import { clientLookupOf } from '../oidc/client-lookup.ts';
import { abortStep } from './abort.step.ts';
import { businessStep } from './business.step.ts';
import { consentStep } from './consent.step.ts';
import { answerEndedInteraction, currentInteraction, LangChoice, langOf, render, renderNotice, showStep, textsFor, UidParams, uidOf, type Journey } from './journey-pages.ts';
import { certificateHandoffStep } from './certificate.step.ts';
import { loginStep } from './login.step.ts';
import { pinStep } from './pin.step.ts';

export interface InteractionsOptions {
  provider: Provider;
  db: Kysely<Database>;
  config: Readonly<Config>;
  cookieKeys: string[];
}

const PageQuery = Type.Object({
  lang: Type.Optional(LangChoice),
  view: Type.Optional(Type.Literal('result')),
});

/** A year: the visitor's language choice outlives any one journey. */
const LANG_COOKIE_MAX_AGE = 31_536_000;

/**
 * API連携認証 (seed 000, DESIGN §6): the screens behind oidc-provider's interactions. Each GET shows
 * the step the provider is waiting for; each POST is CSRF-protected with a token bound to the
 * interaction, checked against the interaction the cookie names, and ends with `interactionResult`
 * and a 303 to the provider. A stale URL (a finished step replayed, the back button) only shows the
 * current step; an interaction that no longer exists sends the browser to its journey's current one.
 */
export async function interactionsRoutes(parent: FastifyInstance, opts: InteractionsOptions): Promise<void> {
  const verifyForm = await registerFormProtection(parent, {
    cookieName: 'renkei_csrf', cookiePath: '/interaction', sameSite: 'strict', cookieKey: opts.cookieKeys[0]!, label: 'interaction',
    // Tokens are bound to the interaction: a token from another interaction is refused.
    bindTo: uidOf,
  });
  await registerLoginThrottle(parent);
  const journey: Journey = { provider: opts.provider, db: opts.db, config: opts.config, verifyForm, findClient: clientLookupOf(opts.provider, opts.db) };
  parent.setErrorHandler((err: FastifyError, request, reply) => journeyErrorHandler(journey, err, request, reply));
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/interaction/:uid', {
    schema: { params: UidParams, querystring: PageQuery },
  }, async function showCurrentStep(request, reply) {
    const { lang } = request.query;
    if (lang) reply.setCookie(LANG_COOKIE, lang, { path: '/', httpOnly: true, secure: true, sameSite: 'lax', maxAge: LANG_COOKIE_MAX_AGE });
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    return showStep(journey, request, reply, details);
  });

  loginStep(parent, journey);
  businessStep(parent, journey);
  pinStep(parent, journey);
  consentStep(parent, journey);
  abortStep(parent, journey);
  certificateHandoffStep(parent, journey);

  // 手順1-1 starts on the mutual-TLS origin.
  app.get('/interaction/:uid/certificate', { schema: { params: UidParams } }, async function toCertificateLogin(request, reply) {
    return reply.redirect(`${opts.config.mtlsPublicUrl}/interaction/${request.params.uid}/certificate`, 303);
  });
}

/**
 * The journey's own pages for what ends a request early: an expired or finished interaction, a refused
 * form, too many attempts. Everything else goes to the root handler.
 */
async function journeyErrorHandler(journey: Journey, err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const lang = langOf(request);
  const retry = uidOf(request) || undefined;
  if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest) return answerEndedInteraction(journey, request, reply, lang);
  if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
    return renderNotice(reply, lang, 403, textsFor(lang).errors.csrf, retry);
  }
  if (err instanceof AppError && err.status === 429) {
    reply.headers(err.headers);
    return renderNotice(reply, lang, 429, err.localized(lang), retry);
  }
  throw err;
}
