import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { RequestContext } from '../audit/audit.repository.ts';
import type { BankCa } from '../certificates/bank-ca.ts';
import { presentedCertificate } from '../certificates/from-request.ts';
import type { IssuedCertificate } from '../certificates/issue.ts';
import { checkLoginCertificate } from '../certificates/login-check.ts';
import { RENEW_PATH, renewWithCertificate } from '../certificates/renewal.ts';
import {
  assertKeyProtectionPassword, checkRetrievalPassword, isVerifiedRetrieval, openOrder, OrderClosedError, retrieveCertificate,
  type IssueSettings, type RetrievableOrder,
} from '../certificates/retrieval.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { registerFormProtection } from '../shared/csrf.ts';
import { AppError } from '../shared/errors.ts';
import { LANG_COOKIE, pickLang, translate, type Lang } from '../shared/i18n.ts';
import { isUuid } from '../shared/ids.ts';
import { jstParts } from '../shared/jst.ts';
import { openPassword, sealPassword } from './download-seal.ts';
import { DownloadBody, KeyPasswordBody, LangQuery, OrderParams, RetrievalPasswordBody } from './retrieval.schemas.ts';
import { RETRIEVAL_TEXTS } from './retrieval.texts.ts';

export interface CertificateRetrievalOptions {
  db: Kysely<Database>;
  config: Readonly<Config>;
  cookieKeys: string[];
  bankCa: () => Promise<BankCa>;
  /** main: /certificates/retrieve/* (no login); mtls: /certificates/renew* with the presented certificate. */
  listener: 'main' | 'mtls';
}

/** The browser that gave the right 証明書取得用パスワード keeps this token; only its hash is stored. */
const RETRIEVAL_COOKIE = 'renkei_cert_retrieval';
const RETRIEVE_PREFIX = '/certificates/retrieve';

function langOf(request: FastifyRequest): Lang {
  const q = (request.query as { lang?: unknown } | undefined)?.lang;
  return pickLang(request.headers, typeof q === 'string' ? q : request.cookies[LANG_COOKIE]);
}

function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}

function jstDateTime(d: Date): string {
  const p = jstParts(d);
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}`;
}

async function page(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>, status = 200) {
  const lang = langOf(request);
  const html = await reply.viewAsync(`certificates/${template}`, {
    lang, t: translate(RETRIEVAL_TEXTS, lang), csrf: reply.formToken(), path: request.url.split('?')[0], ...data,
  });
  // Pages that carry order state or a sealed password are never cached.
  reply.header('cache-control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

function messagePage(request: FastifyRequest, reply: FastifyReply, message: string, status: number, title?: string) {
  return page(request, reply, 'message', { message, title }, status);
}

/** A refusal the page explains (a closed order, a broken password rule); anything else goes to the error handler. */
function refusal(request: FastifyRequest, reply: FastifyReply, err: unknown) {
  if (err instanceof AppError) return messagePage(request, reply, err.localized(langOf(request)), err.status);
  throw err;
}

function sendPfx(reply: FastifyReply, issued: IssuedCertificate) {
  return reply
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${issued.fileName}"`)
    .type('application/x-pkcs12')
    .send(issued.pfx);
}

/**
 * 電子証明書の取得・更新 (DESIGN §14). On the main origin, the retrieval of an order without login:
 * 証明書取得用パスワード入力 → 鍵保護パスワード設定 (with the terms and 同意する) → 証明書ダウンロード. On the
 * mutual-TLS origin, renewal with the presented certificate: 鍵保護パスワード設定 → 証明書ダウンロード. Form
 * tokens are bound to the order (or the presented certificate); the rules live in certificates/.
 */
export const certificateRetrievalPlugin: FastifyPluginAsyncTypebox<CertificateRetrievalOptions> = async function certificateRetrievalPlugin(app, deps) {
  const { db, config } = deps;
  const cookieKey = deps.cookieKeys[0]!;
  const presented = (request: FastifyRequest) =>
    presentedCertificate(request.raw, { clientCertHeader: config.clientCertHeader, trustedProxies: config.trustedProxies });
  const bindTo = deps.listener === 'main'
    ? (request: FastifyRequest) => `order:${(request.params as { orderId?: string } | undefined)?.orderId ?? ''}`
    : (request: FastifyRequest) => `certificate:${presented(request)?.fingerprint256 ?? 'none'}`;
  const verifyForm = await registerFormProtection(app, {
    cookieName: 'renkei_cert_retrieval_csrf', cookiePath: '/certificates', sameSite: 'strict', cookieKey, label: `certificate-retrieval-${deps.listener}`, bindTo,
  });
  const settings = async (): Promise<IssueSettings> => ({ ca: await deps.bankCa(), validityDays: config.certValidityDays, crlUrl: `${config.publicUrl}/pki/crl` });

  if (deps.listener === 'main') {
    const base = (orderId: string) => `${RETRIEVE_PREFIX}/${orderId}`;
    const cookieOpts = (orderId: string) => ({ path: base(orderId), httpOnly: true, secure: true, sameSite: 'strict' as const });
    const tokenOf = (request: FastifyRequest) => request.cookies[RETRIEVAL_COOKIE];
    /** The order, or the page saying why it cannot be retrieved. */
    const orderOr = async (request: FastifyRequest, reply: FastifyReply, orderId: string): Promise<RetrievableOrder | undefined> => {
      try {
        if (!isUuid(orderId)) throw new OrderClosedError('not_found');
        return await openOrder(db, orderId, new Date());
      } catch (err) {
        await refusal(request, reply, err);
        return undefined;
      }
    };
    const passwordPage = (request: FastifyRequest, reply: FastifyReply, order: RetrievableOrder, error?: string, status = 200) =>
      page(request, reply, 'password', { order: { ...order, expiresAtText: jstDateTime(order.expiresAt) }, action: base(order.id), error }, status);
    const keyPage = (request: FastifyRequest, reply: FastifyReply, orderId: string, error?: string, status = 200) =>
      page(request, reply, 'key', { action: `${base(orderId)}/key`, validityDays: config.certValidityDays, error }, status);

    app.get(`${RETRIEVE_PREFIX}/:orderId`, { schema: { params: OrderParams, querystring: LangQuery } }, async function showRetrieval(request, reply) {
      const order = await orderOr(request, reply, request.params.orderId);
      if (!order) return reply;
      return passwordPage(request, reply, order);
    });

    app.post(`${RETRIEVE_PREFIX}/:orderId`, {
      schema: { params: OrderParams, body: RetrievalPasswordBody, querystring: LangQuery }, attachValidation: true, preHandler: verifyForm,
    }, async function submitRetrievalPassword(request, reply) {
      const order = await orderOr(request, reply, request.params.orderId);
      if (!order) return reply;
      // A malformed form is a wrong password: it counts like one, so a script gains nothing by it.
      const password = request.validationError ? '' : request.body.password;
      try {
        const result = await checkRetrievalPassword(db, { orderId: order.id, password, now: new Date(), context: requestContext(request) });
        if (!result.ok) return passwordPage(request, reply, order, translate(RETRIEVAL_TEXTS, langOf(request)).wrongPassword(result.attemptsLeft), 401);
        reply.setCookie(RETRIEVAL_COOKIE, result.token, cookieOpts(order.id));
        return reply.redirect(`${base(order.id)}/key`, 303);
      } catch (err) {
        return refusal(request, reply, err);
      }
    });

    app.get(`${RETRIEVE_PREFIX}/:orderId/key`, { schema: { params: OrderParams, querystring: LangQuery } }, async function showKeyPassword(request, reply) {
      const order = await orderOr(request, reply, request.params.orderId);
      if (!order) return reply;
      if (!(await isVerifiedRetrieval(db, { orderId: order.id, token: tokenOf(request), now: new Date() }))) {
        return passwordPage(request, reply, order, translate(RETRIEVAL_TEXTS, langOf(request)).sessionExpired, 403);
      }
      return keyPage(request, reply, order.id);
    });

    app.post(`${RETRIEVE_PREFIX}/:orderId/key`, {
      schema: { params: OrderParams, body: KeyPasswordBody, querystring: LangQuery }, attachValidation: true, preHandler: verifyForm,
    }, async function submitKeyPassword(request, reply) {
      const order = await orderOr(request, reply, request.params.orderId);
      if (!order) return reply;
      const t = translate(RETRIEVAL_TEXTS, langOf(request));
      if (!(await isVerifiedRetrieval(db, { orderId: order.id, token: tokenOf(request), now: new Date() }))) return passwordPage(request, reply, order, t.sessionExpired, 403);
      const checked = keyPasswordOf(request, langOf(request));
      if ('error' in checked) return keyPage(request, reply, order.id, checked.error, 400);
      return page(request, reply, 'download', { action: `${base(order.id)}/download`, sealed: sealPassword(cookieKey, `order:${order.id}`, checked.password, new Date()) });
    });

    app.post(`${RETRIEVE_PREFIX}/:orderId/download`, {
      schema: { params: OrderParams, body: DownloadBody, querystring: LangQuery }, attachValidation: true, preHandler: verifyForm,
    }, async function downloadCertificate(request, reply) {
      const order = await orderOr(request, reply, request.params.orderId);
      if (!order) return reply;
      const t = translate(RETRIEVAL_TEXTS, langOf(request));
      const keyPassword = request.validationError ? undefined : openPassword(deps.cookieKeys, `order:${order.id}`, request.body.sealed, new Date());
      if (!keyPassword) return keyPage(request, reply, order.id, t.sessionExpired, 400);
      try {
        const issued = await retrieveCertificate(db, await settings(), {
          orderId: order.id, token: tokenOf(request), keyProtectionPassword: keyPassword, profile: request.body.profile, now: new Date(), context: requestContext(request),
        });
        reply.clearCookie(RETRIEVAL_COOKIE, { path: base(order.id) });
        return sendPfx(reply, issued);
      } catch (err) {
        return refusal(request, reply, err);
      }
    });
    return;
  }

  // The mutual-TLS origin: renewal with the certificate the browser presents on every request.
  /** The presented certificate's holder, or the page saying why it cannot renew. */
  const holderOr = async (request: FastifyRequest, reply: FastifyReply) => {
    // Responses depend on the presented certificate (RFC 9440 §2.3).
    reply.header('vary', 'Client-Cert');
    const check = await checkLoginCertificate(db, await deps.bankCa(), presented(request), new Date());
    const t = translate(RETRIEVAL_TEXTS, langOf(request));
    if (!check.ok) {
      await messagePage(request, reply, t.renewRefused, 403, t.renewTitle);
      return undefined;
    }
    const successor = await db.selectFrom('certificates').select('id').where('replaces_certificate_id', '=', check.holder.certificateId).executeTakeFirst();
    if (successor) {
      await messagePage(request, reply, t.renewAlready, 409, t.renewTitle);
      return undefined;
    }
    return check.holder;
  };
  const renewKeyPage = (request: FastifyRequest, reply: FastifyReply, holder: { loginId: string; name: string; customerName: string }, error?: string, status = 200) =>
    page(request, reply, 'key', { action: RENEW_PATH, renewal: true, holder, validityDays: config.certValidityDays, error }, status);

  app.get(RENEW_PATH, { schema: { querystring: LangQuery } }, async function showRenewal(request, reply) {
    const holder = await holderOr(request, reply);
    if (!holder) return reply;
    return renewKeyPage(request, reply, holder);
  });

  app.post(RENEW_PATH, { schema: { body: KeyPasswordBody, querystring: LangQuery }, attachValidation: true, preHandler: verifyForm }, async function submitRenewalKey(request, reply) {
    const holder = await holderOr(request, reply);
    if (!holder) return reply;
    const checked = keyPasswordOf(request, langOf(request));
    if ('error' in checked) return renewKeyPage(request, reply, holder, checked.error, 400);
    return page(request, reply, 'download', { action: `${RENEW_PATH}/download`, renewal: true, sealed: sealPassword(cookieKey, `certificate:${holder.fingerprint}`, checked.password, new Date()) });
  });

  app.post(`${RENEW_PATH}/download`, { schema: { body: DownloadBody, querystring: LangQuery }, attachValidation: true, preHandler: verifyForm }, async function downloadRenewal(request, reply) {
    const holder = await holderOr(request, reply);
    if (!holder) return reply;
    const keyPassword = request.validationError ? undefined : openPassword(deps.cookieKeys, `certificate:${holder.fingerprint}`, request.body.sealed, new Date());
    if (!keyPassword) return renewKeyPage(request, reply, holder, translate(RETRIEVAL_TEXTS, langOf(request)).sessionExpired, 400);
    try {
      const issued = await renewWithCertificate(db, await settings(), {
        certificateId: holder.certificateId, userId: holder.userId, keyProtectionPassword: keyPassword, profile: request.body.profile, now: new Date(), context: requestContext(request),
      });
      return sendPfx(reply, issued);
    } catch (err) {
      return refusal(request, reply, err);
    }
  });
};

/** The 鍵保護パスワード of the form, or the message saying which rule it breaks. */
function keyPasswordOf(request: FastifyRequest<{ Body: { keyPassword: string; keyPasswordConfirm: string; agree?: 'on' } }>, lang: Lang): { password: string } | { error: string } {
  const t = translate(RETRIEVAL_TEXTS, lang);
  if (request.validationError) {
    return { error: new AppError(400, 'invalid_parameter').localized(lang) };
  }
  const body = request.body;
  try {
    assertKeyProtectionPassword(body.keyPassword, body.keyPasswordConfirm);
  } catch (err) {
    if (err instanceof AppError) return { error: err.localized(lang) };
    throw err;
  }
  if (body.agree !== 'on') return { error: t.mustAgree };
  return { password: body.keyPassword };
}
