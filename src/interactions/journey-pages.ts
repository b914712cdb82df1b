import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { RequestContext } from '../audit/audit.repository.ts';
import { pinStatusOfVisibleAccounts } from '../business-id/inquiry-pins.service.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import type { ClientLookup } from '../oidc/client-lookup.ts';
import { LANG_COOKIE, pickLang, translate, type Lang } from '../shared/i18n.ts';
import { businessScopesIn, SCOPE } from '../shared/scopes.ts';
import { SECURITY_HEADERS } from '../shared/security-headers.ts';
import { consentView, requesterOf } from './consent-coverage.ts';
import { accountLabel, businessName, JOURNEY_TEXTS, type JourneyTexts } from './journey.i18n.ts';

/** What every step of the journey works with. */
export interface Journey {
  provider: Provider;
  db: Kysely<Database>;
  config: Readonly<Config>;
  /** The CSRF check of the journey's forms (a preHandler: the token travels in the parsed body). */
  verifyForm: preHandlerHookHandler;
  /** Clients with their partners, through the provider's per-process cache. */
  findClient: ClientLookup;
}

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** oidc-provider's interaction ids (nanoid, url-safe). */
const UID_PATTERN = /^[A-Za-z0-9_-]{10,64}$/;
export const UidParams = Type.Object({ uid: Type.String({ pattern: UID_PATTERN.source }) });

/** The languages a visitor may choose with `?lang=`. */
export const LangChoice = Type.Union([Type.Literal('ja'), Type.Literal('en')]);

/**
 * Every form's CSRF token. Optional in the schema, so a missing token is refused by the CSRF check
 * (403, the expired page), like a wrong one.
 */
export const CsrfField = { _csrf: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_.-]*$' })) };

/** An account's id as a page offers it: a UUID in its canonical form, nothing PostgreSQL could refuse. */
export const AccountId = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });

/** Free text from a form: never a NUL (PostgreSQL refuses it in text). */
export const NO_NUL = '^[^\\u0000]*$';

/** The interaction a request names in its path (empty when the path names none). */
export function uidOf(request: FastifyRequest): string {
  const params = request.params;
  return typeof params === 'object' && params !== null && 'uid' in params && typeof params.uid === 'string' ? params.uid : '';
}

/** The field of the first schema violation (`uid` for a bad path), or undefined when the input is valid. */
export function invalidField(request: FastifyRequest): string | undefined {
  const err = request.validationError;
  if (!err) return undefined;
  if (err.validationContext === 'params') return 'uid';
  const first = err.validation[0];
  const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
  return missing ?? first?.instancePath.split('/')[1] ?? 'body';
}

/** The language of a page: `?lang=`, then the visitor's choice (cookie), then the client's `ui_locales`, then Accept-Language. */
export function langOf(request: FastifyRequest, details?: Details): Lang {
  const query = request.query;
  const asked = typeof query === 'object' && query !== null && 'lang' in query && typeof query.lang === 'string' ? query.lang : undefined;
  const uiLocales = details?.params.ui_locales;
  return pickLang(request.headers, asked ?? request.cookies[LANG_COOKIE] ?? (typeof uiLocales === 'string' ? uiLocales : undefined));
}

export function textsFor(lang: Lang): JourneyTexts {
  return translate(JOURNEY_TEXTS, lang);
}

export const requestContext = (request: FastifyRequest): RequestContext => ({
  ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id,
});

/** A journey page: never cached; with the client's redirect URI allowed as a form target when given. */
export async function render(reply: FastifyReply, lang: Lang, view: string, status: number, data: Record<string, unknown>, redirectUri?: string) {
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8');
  if (redirectUri) reply.header('content-security-policy', cspAllowingRedirectTo(redirectUri));
  const html = await reply.viewAsync(view, { t: textsFor(lang), lang, ...data });
  return reply.send(html);
}

/**
 * The page for a journey that cannot go on here: expired or finished (400), a refused form (403),
 * too many attempts (429). `retryUid` offers the way back to the current step.
 */
export async function renderNotice(reply: FastifyReply, lang: Lang, status: number, message?: string, retryUid?: string) {
  const t = textsFor(lang);
  return render(reply, lang, 'interactions/expired', status, {
    title: t.titleExpired, message, retry: retryUid ? `/interaction/${retryUid}` : undefined,
  });
}

/** What the partner reads in `error_description` when the holder goes back to it from an expired journey. */
const JOURNEY_EXPIRED_DESCRIPTION = 'the journey expired before the account holder finished';

const JOURNEY_COOKIE = 'renkei_journey';
/** A day: the way back to the partner outlives the 10-minute journey, for a holder who comes back late. */
const JOURNEY_COOKIE_MAX_AGE = 86_400;
/** Journeys (tabs) this browser keeps track of, and the passed interactions kept for each. */
const MAX_JOURNEYS = 4;
const MAX_PASSED = 8;
/** A partner's state longer than this is not kept: such a journey gets the notice without the way back. */
const MAX_STATE = 512;
/** Room for the signature and the cookie's attributes within the 4,096 bytes a browser keeps. */
const MAX_COOKIE_VALUE = 3_400;

/**
 * One journey of this browser, in a signed cookie: the interaction it is on and those it passed (the
 * back and forward buttons land on pages of passed ones: they are sent to the current one), where to
 * send the holder back to the partner when it expires (the client, and the redirect URI and state the
 * provider accepted), and whether it ended (then there is nothing to go back to). A journey is one
 * authorization request, known by its PKCE challenge across its interactions.
 */
interface JourneyMark {
  key: string;
  uid: string;
  passed: string[];
  clientId: string;
  redirectUri: string;
  state?: string;
  responseMode?: string;
  noReturn?: true;
  ended?: true;
}

export function rememberJourney(request: FastifyRequest, reply: FastifyReply, details: Details, ended = false): void {
  const p = details.params;
  const key = String(p.code_challenge ?? details.uid);
  const marks = journeyMarks(request);
  const earlier = marks.find((m) => m.key === key);
  const passed = earlier ? [...new Set([...(earlier.uid !== details.uid ? [earlier.uid] : []), ...earlier.passed])].slice(0, MAX_PASSED) : [];
  const state = typeof p.state === 'string' ? p.state : undefined;
  const mark: JourneyMark = {
    key, uid: details.uid, passed, clientId: String(p.client_id), redirectUri: String(p.redirect_uri),
    ...(state && state.length <= MAX_STATE ? { state } : {}),
    ...(state && state.length > MAX_STATE ? { noReturn: true as const } : {}),
    ...(typeof p.response_mode === 'string' ? { responseMode: p.response_mode } : {}),
    ...(ended ? { ended: true as const } : {}),
  };
  const kept = [mark, ...marks.filter((m) => m.key !== key)].slice(0, MAX_JOURNEYS);
  const encode = () => Buffer.from(JSON.stringify(kept)).toString('base64url');
  // Browsers drop a cookie past 4 KB: older journeys make room for the current one.
  while (kept.length > 1 && encode().length > MAX_COOKIE_VALUE) kept.pop();
  reply.setCookie(JOURNEY_COOKIE, encode(), {
    path: '/interaction', httpOnly: true, secure: true, sameSite: 'lax', signed: true, maxAge: JOURNEY_COOKIE_MAX_AGE,
  });
}

function journeyMarks(request: FastifyRequest): JourneyMark[] {
  const raw = request.cookies[JOURNEY_COOKIE];
  if (!raw) return [];
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return [];
  try {
    const marks = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as JourneyMark[];
    return Array.isArray(marks) ? marks.filter((m) => typeof m.uid === 'string' && Array.isArray(m.passed) && typeof m.redirectUri === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The answer to a page or form of an interaction that no longer exists. While its journey goes on,
 * it is sent to the journey's current step (the back button). Otherwise the notice says what happened,
 * and an expired journey offers the way back to the partner, which receives `access_denied` with
 * JOURNEY_EXPIRED_DESCRIPTION (and the state it sent), as it would from the provider.
 */
export async function answerEndedInteraction(journey: Journey, request: FastifyRequest, reply: FastifyReply, lang: Lang) {
  const uid = uidOf(request);
  const mark = journeyMarks(request).find((m) => m.uid === uid || m.passed.includes(uid));
  if (mark && !mark.ended && mark.uid !== uid && UID_PATTERN.test(mark.uid) && await journey.provider.Interaction.find(mark.uid)) {
    return reply.redirect(`/interaction/${mark.uid}`, 303);
  }
  const t = textsFor(lang);
  if (!mark) return renderNotice(reply, lang, 400);
  if (mark.ended) return renderNotice(reply, lang, 400, t.finished);
  if (mark.noReturn) return renderNotice(reply, lang, 400, t.expiredOnly);
  const client = await journey.findClient(mark.clientId);
  const registered = client && Array.isArray(client.metadata.redirect_uris) && client.metadata.redirect_uris.includes(mark.redirectUri);
  // Only the plain query response the provider itself would use here (no JARM is offered).
  if (!client || !registered || (mark.responseMode && mark.responseMode !== 'query') || !URL.canParse(mark.redirectUri)) {
    return renderNotice(reply, lang, 400, t.expiredOnly);
  }
  const back = new URL(mark.redirectUri);
  back.searchParams.set('error', 'access_denied');
  back.searchParams.set('error_description', JOURNEY_EXPIRED_DESCRIPTION);
  if (mark.state) back.searchParams.set('state', mark.state);
  back.searchParams.set('iss', journey.config.publicUrl);
  const { serviceName } = requesterOf(client);
  return render(reply, lang, 'interactions/expired', 400, {
    title: t.titleExpired, message: t.expiredOnly, wayBack: { href: back.toString(), label: t.backToService(serviceName), hint: t.backToServiceHint },
  });
}

/** The interaction the cookie names; a URL naming another (older) one is sent to the current step. */
export async function currentInteraction(journey: Journey, request: FastifyRequest, reply: FastifyReply): Promise<Details | undefined> {
  const details = await journey.provider.interactionDetails(request.raw, reply.raw);
  if (details.uid !== uidOf(request)) {
    await reply.redirect(`/interaction/${details.uid}`, 303);
    return undefined;
  }
  return details;
}

/**
 * The step the provider is waiting for, with `extra` (an error, the values to show again). Steps the
 * journey passed over (seed 000: shown only when needed) are marked in the progress bar.
 */
export async function showStep(journey: Journey, request: FastifyRequest, reply: FastifyReply, details: Details, status = 200, extra: Record<string, unknown> = {}) {
  const { db, config } = journey;
  const lang = langOf(request, details);
  const t = textsFor(lang);
  const client = await journey.findClient(String(details.params.client_id));
  const done = details.lastSubmission ?? {};
  const prompt = details.prompt.name;
  const skipped = [
    ...(['register_pin', 'consent'].includes(prompt) && !done.select_business ? [1] : []),
    ...(prompt === 'consent' && !done.register_pin ? [2, 3] : []),
  ];
  const common = {
    uid: details.uid,
    skipped,
    csrfToken: reply.formToken(),
    requester: client ? (({ serviceName, legalName }) => `${serviceName}（${legalName}）`)(requesterOf(client)) : String(details.params.client_id),
    langSwitch: { ja: `/interaction/${details.uid}?lang=ja`, en: `/interaction/${details.uid}?lang=en` },
    mtlsUrl: `${config.mtlsPublicUrl}/interaction/${details.uid}/certificate`,
    ...extra,
  };
  const redirectUri = String(details.params.redirect_uri);
  rememberJourney(request, reply, details);
  const page = (view: string, data: Record<string, unknown>) => render(reply, lang, `interactions/${view}`, status, { ...common, ...data }, redirectUri);
  switch (prompt) {
    case 'login':
      return page('login', { title: t.titleLogin, step: 0 });
    case 'select_business': {
      const requested = businessScopesIn(details.params.scope).map((scope) => ({ scope, name: businessName(t, scope), hint: scope === SCOPE.transfers ? t.transfersHint : undefined }));
      return page('select-business', { title: t.titleBusiness, step: 1, requested });
    }
    case 'register_pin': {
      const accounts = (await pinStatusOfVisibleAccounts(db, details.session!.accountId)).map((a) => ({ ...a, label: accountLabel(t, a) }));
      const anyRegistered = accounts.some((a) => a.registered);
      if (isResultView(request) && anyRegistered && status === 200) {
        const canAddMore = accounts.some((a) => !a.registered && !a.locked);
        return page('pin-result', { title: t.titlePinResult, step: 3, accounts, canAddMore });
      }
      return page('register-pin', { title: t.titlePin, step: 2, accounts, anyRegistered });
    }
    case 'consent':
      return page('consent', { ...(await consentView(journey, details, lang, extra.ticked as string[] | undefined)), title: t.titleConsent, step: 4 });
    default:
      throw new Error(`unexpected prompt ${prompt}`);
  }
}

function isResultView(request: FastifyRequest): boolean {
  const query = request.query;
  return typeof query === 'object' && query !== null && 'view' in query && query.view === 'result';
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
