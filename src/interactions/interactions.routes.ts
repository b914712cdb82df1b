import { createHmac } from 'node:crypto';
import csrf from '@fastify/csrf-protection';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { errors, type Provider } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { loginWithPassword } from '../auth/password-login.service.ts';
import { businessScopesIn, findClient } from '../partners/clients.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { pickLang } from '../shared/lang.ts';
import type { Lang } from '../shared/errors.ts';
import { SECURITY_HEADERS } from '../shared/security-headers.ts';
import { registerInquiryPin, pinStatusOfVisibleAccounts } from './inquiry-pin.service.ts';
import { consentView, grantConsent } from './consent.step.ts';
import { JOURNEY_TEXTS, type JourneyTexts } from './journey.i18n.ts';

export interface InteractionsOptions {
  provider: Provider;
  db: Kysely<Database>;
  config: Readonly<Config>;
  cookieKeys: string[];
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
interface UidParams { uid: string }

const LANG_COOKIE = 'renkei_lang';
const UidSchema = Type.Object({ uid: Type.String({ pattern: '^[A-Za-z0-9_-]{10,64}$' }) });
const LangQuery = Type.Object({
  lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])),
  view: Type.Optional(Type.Literal('result')),
});
// Optional in the schema so a missing token is refused by the CSRF check (403), like a wrong one.
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };

/**
 * API連携認証 (seed 000, DESIGN §6): the screens behind oidc-provider's interactions. Each GET shows
 * the step the provider is waiting for; each POST is CSRF-protected with a token bound to the
 * interaction, checked against the interaction the cookie names, and ends with `interactionResult`
 * and a 303 to the provider. A stale URL (a finished step replayed) only shows the current step.
 */
export async function interactionsRoutes(app: FastifyInstance, opts: InteractionsOptions): Promise<void> {
  const { provider, db, config } = opts;
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'renkei_csrf',
    cookieOpts: { path: '/interaction', httpOnly: true, secure: true, sameSite: 'strict', signed: true },
    // Tokens are bound to the interaction: a token from another interaction is refused.
    getUserInfo: (req: FastifyRequest) => (req.params as UidParams).uid,
    csrfOpts: { hmacKey: createHmac('sha256', opts.cookieKeys[0]!).update('renkei interaction csrf').digest() },
  });

  app.setErrorHandler(async function interactionErrorHandler(err: FastifyError, request, reply) {
    const lang = langOf(request);
    if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest) {
      return render(reply, lang, 'interactions/expired', 400, { title: JOURNEY_TEXTS[lang].titleExpired });
    }
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      const uid = (request.params as Partial<UidParams>).uid;
      return render(reply, lang, 'interactions/expired', 403, { title: JOURNEY_TEXTS[lang].titleExpired, message: JOURNEY_TEXTS[lang].errors.csrf, retry: uid ? `/interaction/${uid}` : undefined });
    }
    throw err; // the root handler answers everything else
  });

  function langOf(request: FastifyRequest, details?: Details): Lang {
    const q = (request.query as { lang?: string } | undefined)?.lang;
    const explicit = q ?? request.cookies[LANG_COOKIE] ?? (details?.params.ui_locales as string | undefined);
    return pickLang(request.headers, explicit);
  }

  async function render(reply: FastifyReply, lang: Lang, view: string, status: number, data: Record<string, unknown>, redirectUri?: string) {
    reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (redirectUri) reply.header('content-security-policy', cspAllowingRedirectTo(redirectUri));
    const html = await reply.viewAsync(view, { t: JOURNEY_TEXTS[lang], lang, ...data });
    return reply.send(html);
  }

  /** The interaction the cookie names; a URL naming another (older) one is sent to the current step. */
  async function current(request: FastifyRequest<{ Params: UidParams }>, reply: FastifyReply): Promise<Details | undefined> {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid) {
      await reply.redirect(`/interaction/${details.uid}`, 303);
      return undefined;
    }
    return details;
  }

  const context = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id });

  async function showStep(request: FastifyRequest, reply: FastifyReply, details: Details, status = 200, extra: Record<string, unknown> = {}) {
    const lang = langOf(request, details);
    const t = JOURNEY_TEXTS[lang];
    const client = await findClient(db, String(details.params.client_id));
    // Steps the journey passed over (seed 000: shown only when needed), so the progress bar can say so.
    const done = (details.lastSubmission ?? {}) as Record<string, unknown>;
    const skipped = [
      ...(['register_pin', 'consent'].includes(details.prompt.name) && !done.select_business ? [1] : []),
      ...(details.prompt.name === 'consent' && !done.register_pin ? [2, 3] : []),
    ];
    const common = {
      uid: details.uid,
      skipped,
      csrfToken: await reply.generateCsrf({ userInfo: details.uid } as never),
      requester: client ? `${client.partner.serviceName}（${client.partner.legalName}）` : String(details.params.client_id),
      langSwitch: { ja: `/interaction/${details.uid}?lang=ja`, en: `/interaction/${details.uid}?lang=en` },
      mtlsUrl: `${config.mtlsPublicUrl}/interaction/${details.uid}/certificate`,
      ...extra,
    };
    const redirectUri = String(details.params.redirect_uri);
    switch (details.prompt.name) {
      case 'login':
        return render(reply, lang, 'interactions/login', status, { ...common, title: t.titleLogin, step: 0 }, redirectUri);
      case 'select_business': {
        const requested = businessScopesIn(details.params.scope);
        return render(reply, lang, 'interactions/select-business', status, { ...common, title: t.titleBusiness, step: 1, requested }, redirectUri);
      }
      case 'register_pin': {
        const accounts = await pinStatusOfVisibleAccounts(db, details.session!.accountId);
        const anyRegistered = accounts.some((a) => a.registered);
        if ((request.query as { view?: string }).view === 'result' && anyRegistered && status === 200) {
          const canAddMore = accounts.some((a) => !a.registered && !a.locked);
          return render(reply, lang, 'interactions/pin-result', status, { ...common, title: t.titlePinResult, step: 3, accounts, canAddMore }, redirectUri);
        }
        return render(reply, lang, 'interactions/register-pin', status, { ...common, title: t.titlePin, step: 2, accounts, anyRegistered }, redirectUri);
      }
      case 'consent': {
        const view = await consentView(db, details, lang);
        return render(reply, lang, 'interactions/consent', status, { ...common, ...view, title: t.titleConsent, step: 4 }, redirectUri);
      }
      default:
        throw new Error(`unexpected prompt ${details.prompt.name}`);
    }
  }

  app.get<{ Params: UidParams; Querystring: { lang?: Lang; view?: 'result' } }>('/interaction/:uid', {
    schema: { params: UidSchema, querystring: LangQuery },
  }, async (request, reply) => {
    if (request.query.lang) reply.setCookie(LANG_COOKIE, request.query.lang, { path: '/', httpOnly: true, secure: true, sameSite: 'lax', maxAge: 31_536_000 });
    const details = await current(request, reply);
    if (!details) return reply;
    return showStep(request, reply, details);
  });

  // preHandler: the token travels in the form body, parsed only after onRequest.
  const post = { preHandler: app.csrfProtection };

  // 手順1-2: login ID and password.
  app.post<{ Params: UidParams; Body: { login_id: string; password: string; _csrf: string } }>('/interaction/:uid/login', {
    ...post,
    schema: { params: UidSchema, body: Type.Object({ login_id: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 256 }), ...Csrf }) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'login') return showStep(request, reply, details);
    const result = await loginWithPassword(db, { loginId: request.body.login_id.trim(), password: request.body.password, channel: 'api_consent', context: context(request) });
    const t = JOURNEY_TEXTS[langOf(request, details)];
    if (!result.ok) return showStep(request, reply, details, 400, { error: t.errors[result.reason], loginId: request.body.login_id });
    const to = await provider.interactionResult(request.raw, reply.raw, {
      login: { accountId: result.user.id, acr: 'urn:renkei:acr:password', amr: ['pwd'], ts: Math.floor(Date.now() / 1000), remember: false },
    }, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  });

  // 手順2: 利用業務 — the choice narrows the grant to what the holder picked.
  app.post<{ Params: UidParams; Body: { scope?: string | string[]; _csrf: string } }>('/interaction/:uid/business', {
    ...post,
    schema: { params: UidSchema, body: Type.Object({ scope: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 10 })])), ...Csrf }) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'select_business') return showStep(request, reply, details);
    const chosen = [request.body.scope ?? []].flat();
    const scopes = businessScopesIn(details.params.scope).filter((s) => chosen.includes(s));
    if (scopes.length === 0) return showStep(request, reply, details, 400, { error: JOURNEY_TEXTS[langOf(request, details)].errors.no_business });
    const to = await provider.interactionResult(request.raw, reply.raw, { select_business: { scopes } }, { mergeWithLastSubmission: true });
    return reply.redirect(to, 303);
  });

  // 手順3: one account's 照会用暗証番号; then 手順4 shows the result.
  app.post<{ Params: UidParams; Body: { account_id?: string; pin: string; _csrf: string } }>('/interaction/:uid/pin', {
    ...post,
    schema: { params: UidSchema, body: Type.Object({ account_id: Type.Optional(Type.String({ maxLength: 64 })), pin: Type.String({ maxLength: 32 }), ...Csrf }) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'register_pin') return showStep(request, reply, details);
    const t = JOURNEY_TEXTS[langOf(request, details)];
    const accountId = request.body.account_id ?? '';
    if (!/^[0-9a-f-]{36}$/.test(accountId)) return showStep(request, reply, details, 400, { error: t.errors.pin_no_account });
    const user = await db.selectFrom('users').select(['id', 'customer_id', 'login_id']).where('id', '=', details.session!.accountId).executeTakeFirstOrThrow();
    const r = await registerInquiryPin(db, { userId: user.id, customerId: user.customer_id, loginId: user.login_id, accountId, pin: request.body.pin, context: context(request) });
    switch (r.outcome) {
      case 'registered': return reply.redirect(`/interaction/${details.uid}?view=result`, 303);
      case 'wrong_pin': return showStep(request, reply, details, 400, { error: t.errors.pin_wrong(r.remainingAttempts), selected: accountId });
      case 'locked': return showStep(request, reply, details, 400, { error: t.errors.pin_locked, selected: accountId });
      case 'invalid_format': return showStep(request, reply, details, 400, { error: t.errors.pin_invalid_format, selected: accountId });
      default: return showStep(request, reply, details, 400, { error: t.errors.pin_no_account });
    }
  });

  // 手順4 確定 (or 手順3 次へ once an account is registered).
  app.post<{ Params: UidParams; Body: { _csrf: string } }>('/interaction/:uid/pin/confirm', {
    ...post, schema: { params: UidSchema, body: Type.Object(Csrf) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'register_pin') return showStep(request, reply, details);
    const accounts = await pinStatusOfVisibleAccounts(db, details.session!.accountId);
    if (!accounts.some((a) => a.registered)) return showStep(request, reply, details, 400, { error: JOURNEY_TEXTS[langOf(request, details)].errors.pin_none_registered });
    const to = await provider.interactionResult(request.raw, reply.raw, { register_pin: { confirmed: true } }, { mergeWithLastSubmission: true });
    return reply.redirect(to, 303);
  });

  // 手順5: 許可 (with the checkbox) or 拒否.
  app.post<{ Params: UidParams; Body: { decision: 'allow' | 'deny'; continue?: string; _csrf: string } }>('/interaction/:uid/consent', {
    ...post,
    schema: { params: UidSchema, body: Type.Object({ decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]), continue: Type.Optional(Type.String({ maxLength: 10 })), ...Csrf }) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'consent') return showStep(request, reply, details);
    const lang = langOf(request, details);
    if (request.body.decision === 'deny') return deny(request, reply, details, 'consent_denied');
    if (request.body.continue !== 'on') return showStep(request, reply, details, 400, { error: JOURNEY_TEXTS[lang].errors.consent_unchecked });
    const granted = await grantConsent(provider, db, config, details, context(request));
    if (!granted.ok) return showStep(request, reply, details, 400, { error: JOURNEY_TEXTS[lang].errors.no_accounts });
    const to = await provider.interactionResult(request.raw, reply.raw, { consent: { grantId: granted.oidcGrantId } }, { mergeWithLastSubmission: true });
    return reply.redirect(to, 303);
  });

  // 中止 on any step: the client receives access_denied.
  app.post<{ Params: UidParams; Body: { _csrf: string } }>('/interaction/:uid/abort', {
    ...post, schema: { params: UidSchema, body: Type.Object(Csrf) },
  }, async (request, reply) => {
    const details = await current(request, reply);
    if (!details) return reply;
    return deny(request, reply, details, 'journey_aborted');
  });

  async function deny(request: FastifyRequest, reply: FastifyReply, details: Details, reason: string) {
    const userId = details.session?.accountId;
    const user = userId ? await db.selectFrom('users').select(['customer_id', 'login_id']).where('id', '=', userId).executeTakeFirst() : undefined;
    await recordAudit(db, {
      type: 'consent.denied', outcome: 'failure', customerId: user?.customer_id ?? null, actorUserId: userId ?? null,
      actorLoginId: user?.login_id ?? null, details: { clientId: details.params.client_id, reason, step: details.prompt.name }, context: context(request),
    });
    const to = await provider.interactionResult(request.raw, reply.raw, {
      error: 'access_denied', error_description: reason === 'consent_denied' ? 'the account holder denied the access' : 'the account holder cancelled',
    }, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  }

  // 手順1-1 starts on the mutual-TLS origin; certificate verification arrives with a later issue.
  app.get<{ Params: UidParams }>('/interaction/:uid/certificate', { schema: { params: UidSchema } }, async (request, reply) => {
    return reply.redirect(`${config.mtlsPublicUrl}/interaction/${request.params.uid}/certificate`, 303);
  });
}

/**
 * Chromium applies `form-action` to the whole redirect chain after a form post, which ends at the
 * client's redirect URI: allow exactly that origin on the journey's pages, nothing more.
 */
function cspAllowingRedirectTo(redirectUri: string): string {
  const origin = URL.canParse(redirectUri) ? new URL(redirectUri).origin : '';
  const d = (SECURITY_HEADERS.contentSecurityPolicy as { directives: Record<string, string[]> }).directives;
  const parts = Object.entries({ ...d, formAction: [...(d.formAction ?? []), ...(origin ? [origin] : [])] })
    .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v.join(' ')}`);
  return parts.join('; ');
}

/** The mutual-TLS origin's part of step 1-1 (until certificate login exists: a clear notice). */
export async function certificateLoginRoutes(app: FastifyInstance, opts: { config: Readonly<Config> }): Promise<void> {
  app.get<{ Params: UidParams; Querystring: { lang?: Lang } }>('/interaction/:uid/certificate', {
    schema: { params: UidSchema, querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('ja'), Type.Literal('en')])) }) },
  }, async (request, reply) => {
    const lang = pickLang(request.headers, request.query.lang ?? request.cookies[LANG_COOKIE]);
    const t: JourneyTexts = JOURNEY_TEXTS[lang];
    const html = await reply.viewAsync('interactions/certificate-unavailable', {
      t, lang, title: t.titleCertificate, back: `${opts.config.publicUrl}/interaction/${request.params.uid}`,
    });
    return reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  });
}
