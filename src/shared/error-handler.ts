import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, GMO_ERROR_CODES, GMO_ERROR_MESSAGE_MAX, isGmoApiPath, serviceUnavailable } from './errors.ts';
import { isDatabaseUnavailable, isInvalidInputError } from './db-errors.ts';
import { LANG_COOKIE, pickLang, type Lang } from './i18n.ts';

/** Fastify's own 4xx errors, mapped onto our closed list of codes. */
const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new AppError(415, 'unsupported_media_type'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError(400, 'invalid_request'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError(413, 'payload_too_large'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppError(400, 'invalid_request'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new AppError(400, 'invalid_request'),
  FST_ERR_BAD_URL: () => new AppError(400, 'invalid_request'),
  FST_ERR_ASYNC_CONSTRAINT: () => new AppError(400, 'invalid_request'),
  // @fastify/csrf-protection (shared/csrf.ts): a missing or foreign token is one refusal.
  FST_CSRF_INVALID_TOKEN: () => new AppError(403, 'csrf_invalid'),
  FST_CSRF_MISSING_SECRET: () => new AppError(403, 'csrf_invalid'),
};

/** Turns anything thrown into an AppError; the second value says whether it was unexpected. */
function toAppError(err: FastifyError | Error): { error: AppError; unexpected: boolean } {
  if (err instanceof AppError) return { error: err, unexpected: false };
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const where = `${fe.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    return {
      error: new AppError(400, 'invalid_parameter', {
        message: { ja: `入力内容に誤りがあります（${where}）。`, en: `Invalid parameter (${where}): ${first?.message ?? 'invalid'}.` },
      }),
      unexpected: false,
    };
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return { error: mapped(), unexpected: false };
  if (fe.statusCode === 429) return { error: new AppError(429, 'rate_limited', { headers: {} }), unexpected: false };
  if (isDatabaseUnavailable(err)) return { error: serviceUnavailable(err), unexpected: false };
  // A value the database itself refused (a malformed uuid, a NUL, an impossible date) is the caller's
  // mistake that validation missed: a 400, logged with its SQLSTATE so the missing check can be added.
  if (isInvalidInputError(err)) {
    // Only the SQLSTATE: the database's message may quote the value, which may be a secret.
    const sqlState = (err as { code?: unknown }).code;
    return { error: new AppError(400, 'invalid_parameter', { detail: { sqlState, refusedBy: 'database' } }), unexpected: false };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { error: new AppError(fe.statusCode, fe.statusCode === 404 ? 'not_found' : 'invalid_request'), unexpected: false };
  }
  return { error: new AppError(500, 'server_error', { cause: err }), unexpected: true };
}

/** Browsers navigating get a page; API clients and everything else get JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') && !request.url.startsWith('/api/') && !isGmoApiPath(request.url);
}

/**
 * The error body (DESIGN §8): ours with the request id, or, under GMO's base paths, exactly GMO's
 * `ErrorResponse` (the request id is still in the X-Request-Id header).
 */
function errorBody(request: FastifyRequest, error: AppError, lang: Lang): Record<string, string> {
  const errorMessage = error.localized(lang);
  if (isGmoApiPath(request.url)) return { errorCode: GMO_ERROR_CODES[error.code], errorMessage: errorMessage.slice(0, GMO_ERROR_MESSAGE_MAX) };
  return { errorCode: error.code, errorMessage, requestId: request.id };
}

async function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): Promise<FastifyReply> {
  // An explicit choice (the language cookie every surface sets) wins over Accept-Language.
  const lang: Lang = pickLang(request.headers, request.cookies?.[LANG_COOKIE]);
  reply.code(error.status).headers(error.headers);
  const body = errorBody(request, error, lang);
  if (wantsHtml(request) && typeof reply.viewAsync === 'function') {
    const html = await reply.viewAsync('error', { ...body, status: error.status, lang });
    return reply.type('text/html; charset=utf-8').send(html);
  }
  return reply.type('application/json; charset=utf-8').send(body);
}

/**
 * The one root error handler and 404 handler (DESIGN §11): no input makes the server answer with
 * anything but the error format, and only truly unexpected errors are logged at error level.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async function rootErrorHandler(err: FastifyError, request, reply) {
    const { error, unexpected } = toAppError(err);
    if (unexpected) request.log.error({ err }, 'unexpected error');
    else if (error.status >= 500) request.log.warn({ err, code: error.code }, 'service unavailable');
    else if (isInvalidInputError(err)) request.log.warn({ code: error.code, detail: error.detail }, 'input refused by the database');
    else if (error.detail !== undefined) request.log.info({ code: error.code, detail: error.detail }, 'request refused');
    try {
      return await sendError(request, reply, error);
    } catch (renderErr) {
      request.log.error({ err: renderErr }, 'error page failed to render');
      return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(request, error, 'ja'));
    }
  });
  app.setNotFoundHandler(async function notFoundHandler(request, reply) {
    return sendError(request, reply, new AppError(404, 'not_found'));
  });
}
