import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import { identifyCertificateHolder, loginWithCertificate, takeHandoff } from '../auth/certificate-login.service.ts';
import { CERTIFICATE_LOGIN_REFUSALS, CERTIFICATE_LOGIN_TEXTS } from '../auth/certificate-login.texts.ts';
import type { BankCa } from '../certificates/bank-ca.ts';
import { presentedCertificate } from '../certificates/from-request.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { clientLookupOf } from '../oidc/client-lookup.ts';
import { registerFormProtection } from '../shared/csrf.ts';
import { LANG_COOKIE, pickLang, translate, type Lang } from '../shared/i18n.ts';
import { loginThrottle, registerLoginThrottle } from '../shared/login-throttle.ts';
import { requesterOf } from './consent-coverage.ts';
import { CsrfField, currentInteraction, LangChoice, NO_NUL, render, requestContext, showStep, textsFor, UidParams, uidOf, type Journey } from './journey-pages.ts';

export interface CertificateJourneyOptions {
  provider: Provider;
  db: Kysely<Database>;
  config: Readonly<Config>;
  cookieKeys: string[];
  /** The bank CA; asked on the first request that needs it. */
  bankCa: () => Promise<BankCa>;
}

const PageQuery = Type.Object({ lang: Type.Optional(LangChoice) });
const PasswordBody = Type.Object({ password: Type.String({ maxLength: 256, pattern: NO_NUL }), ...CsrfField });
const HandoffQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 64 })) });

/** What the 手順1-1 login records in the provider's session. */
const CERTIFICATE_ACR = 'urn:renkei:acr:certificate';

/**
 * 手順1-1 on the mutual-TLS origin (seed 000, DESIGN §6, §14): the API利用規定, the holder the presented
 * certificate names, and the ログインパスワード with API連携. The provider's interaction cookie belongs
 * to the main origin, so this page finds the interaction by its id only; what binds the login to the
 * browser that started the journey is the handoff, which only that browser's interaction cookie can take
 * up on the main origin (certificateHandoffStep). Forms carry a token bound to the interaction and the
 * certificate.
 */
export async function certificateJourneyRoutes(parent: FastifyInstance, opts: CertificateJourneyOptions): Promise<void> {
  const { provider, db, config } = opts;
  const findClient = clientLookupOf(provider, db);
  const presented = (request: FastifyRequest) =>
    presentedCertificate(request.raw, { clientCertHeader: config.clientCertHeader, trustedProxies: config.trustedProxies });
  const verifyForm = await registerFormProtection(parent, {
    cookieName: 'renkei_cert_journey_csrf', cookiePath: '/interaction', sameSite: 'strict', cookieKey: opts.cookieKeys[0]!, label: 'certificate-journey',
    bindTo: (request) => `${uidOf(request)}:${presented(request)?.fingerprint256 ?? 'no-certificate'}`,
  });
  await registerLoginThrottle(parent);
  const throttle = loginThrottle(parent, config.loginThrottle);
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const mainOrigin = new URL(config.publicUrl).origin;

  /** The interaction while it waits for its login, with the page's language. */
  async function waitingInteraction(request: FastifyRequest<{ Params: { uid: string } }>) {
    const interaction = await provider.Interaction.find(request.params.uid);
    const uiLocales = interaction?.params['ui_locales'];
    const query = request.query as { lang?: string } | undefined;
    const lang: Lang = pickLang(request.headers, query?.lang ?? request.cookies[LANG_COOKIE] ?? (typeof uiLocales === 'string' ? uiLocales : undefined));
    return { interaction: interaction && interaction.prompt.name === 'login' && !interaction.result ? interaction : undefined, lang };
  }

  async function page(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply, lang: Lang, clientId: string, data: Record<string, unknown>, status = 200) {
    const t = textsFor(lang);
    const client = await findClient(clientId);
    const uid = request.params.uid;
    reply.header('vary', 'Client-Cert');
    return render(reply, lang, 'interactions/certificate', status, {
      title: t.titleLogin, step: 0, uid, csrfToken: reply.formToken(),
      requester: client ? (({ serviceName, legalName }) => `${serviceName}（${legalName}）`)(requesterOf(client)) : clientId,
      c: translate(CERTIFICATE_LOGIN_TEXTS, lang), back: `${config.publicUrl}/interaction/${uid}`,
      langSwitch: { ja: `/interaction/${uid}/certificate?lang=ja`, en: `/interaction/${uid}/certificate?lang=en` },
      ...data,
    // The answer to the form redirects to the main origin: Chromium checks form-action along the chain.
    }, `${mainOrigin}/`);
  }

  async function ended(reply: FastifyReply, lang: Lang, uid: string) {
    const t = textsFor(lang);
    return render(reply, lang, 'interactions/expired', 400, { title: t.titleExpired, retry: `${config.publicUrl}/interaction/${uid}` });
  }

  app.get('/interaction/:uid/certificate', { schema: { params: UidParams, querystring: PageQuery } }, async function showCertificateLogin(request, reply) {
    const { interaction, lang } = await waitingInteraction(request);
    if (!interaction) return ended(reply, lang, request.params.uid);
    const check = await identifyCertificateHolder(db, await opts.bankCa(), presented(request), { channel: 'api_consent', context: requestContext(request) });
    const clientId = String(interaction.params['client_id']);
    if (!check.ok) return page(request, reply, lang, clientId, { refusal: translate(CERTIFICATE_LOGIN_REFUSALS, lang)[check.reason] }, 403);
    return page(request, reply, lang, clientId, { holder: check.holder });
  });

  app.post('/interaction/:uid/certificate', {
    schema: { params: UidParams, body: PasswordBody }, attachValidation: true, preHandler: [verifyForm, throttle],
  }, async function submitCertificateLogin(request, reply) {
    const { interaction, lang } = await waitingInteraction(request);
    if (!interaction) return ended(reply, lang, request.params.uid);
    const clientId = String(interaction.params['client_id']);
    const refusals = translate(CERTIFICATE_LOGIN_REFUSALS, lang);
    // A malformed form is a wrong password: nothing more is said.
    const password = request.validationError ? '' : request.body.password;
    const result = await loginWithCertificate(db, await opts.bankCa(), {
      certificate: presented(request), password, channel: 'api_consent', context: requestContext(request),
      target: { purpose: 'interaction', interactionUid: request.params.uid },
    });
    if (result.ok) return reply.redirect(`${config.publicUrl}/interaction/${request.params.uid}/certificate/complete?token=${result.handoffToken}`, 303);
    if (result.reason === 'wrong_password') {
      const hint = result.failuresLeft ? translate(CERTIFICATE_LOGIN_TEXTS, lang).failuresLeft(result.failuresLeft) : '';
      return page(request, reply, lang, clientId, { holder: result.holder, error: `${refusals.wrong_password}${hint}` }, 401);
    }
    return page(request, reply, lang, clientId, { refusal: refusals[result.reason] }, 403);
  });
}

/**
 * The main origin's end of 手順1-1: the handoff is taken up once, for this interaction only, by the
 * browser whose interaction cookie names it; then the login step of the interaction is finished as the
 * ID/password form finishes it.
 */
export function certificateHandoffStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/interaction/:uid/certificate/complete', { schema: { params: UidParams, querystring: HandoffQuery } }, async function completeCertificateLogin(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'login') return showStep(journey, request, reply, details);
    const taken = await takeHandoff(journey.db, request.query.token, { purpose: 'interaction', interactionUid: details.uid }, requestContext(request));
    if (!taken) {
      const lang = pickLang(request.headers, request.cookies[LANG_COOKIE]);
      return showStep(journey, request, reply, details, 400, { error: translate(CERTIFICATE_LOGIN_TEXTS, lang).handoffInvalid });
    }
    const to = await journey.provider.interactionResult(request.raw, reply.raw, {
      login: { accountId: taken.userId, acr: CERTIFICATE_ACR, amr: ['hwk', 'pwd'], ts: Math.floor(Date.now() / 1000), remember: false },
    }, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  });
}
