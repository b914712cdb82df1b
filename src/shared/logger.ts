import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Query parameters that carry credentials or one-time codes (OAuth, OIDC, our own links). */
const SECRET_QUERY_PARAMS = [
  'code', 'token', 'access_token', 'refresh_token', 'id_token_hint', 'login_hint', 'client_assertion',
  'client_secret', 'password', 'pin', 'otp', 'request', 'request_uri', 'code_verifier',
];

/**
 * Paths whose last segment is itself a credential: the password-reset link mailed to a user, and a
 * certificate's retrieval link. The prefix stays, so the line still says which screen was asked for.
 */
const SECRET_PATH_SEGMENTS = [/(\/password(?:-|%2d)reset\/)[^/?#]+/gi, /(\/certificates\/retrieve\/)[^/?#]+/gi];

/**
 * Second line of defence behind the allowlist serializers: any of these paths in any log object is
 * replaced (DESIGN §11: passwords, PINs, tokens, codes, cookies, authorization headers, assertions).
 */
const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers.dpop', 'req.headers["client-cert"]',
  'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie',
  '*.password', '*.login_password', '*.loginPassword', '*.transaction_password', '*.transactionPassword',
  '*.new_password', '*.newPassword', '*.pin', '*.inquiry_pin', '*.code', '*.otp', '*.token', '*.access_token',
  '*.refresh_token', '*.id_token', '*.client_secret', '*.client_assertion', '*.code_verifier',
  '*.cookieKeys', '*.keyEncryptionKey', '*.initialAccessToken', '*.databaseUrl', '*.smtpUrl',
  '*.login_password_hash', '*.transaction_password_hash', '*.inquiry_pin_hash',
];

/**
 * Removes secrets from a URL as requested (path and query): a secret path segment, and the values of
 * secret query parameters, keeping the names for debugging.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = SECRET_PATH_SEGMENTS.reduce((p, re) => p.replace(re, '$1[REDACTED]'), q < 0 ? url : url.slice(0, q));
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_QUERY_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[REDACTED]');
      changed = true;
    }
  }
  return changed ? `${path}?${params.toString()}` : `${path}${url.slice(q)}`;
}

/** Allowlist serializers: only what helps an operator, never bodies or credentials. */
const serializers = {
  req(req: IncomingMessage & { id?: string; ip?: string; method?: string }) {
    return {
      id: req.id,
      method: req.method,
      url: redactUrl(req.url ?? ''),
      host: req.headers?.host,
      remoteAddress: req.ip ?? req.socket?.remoteAddress,
      userAgent: req.headers?.['user-agent'],
    };
  },
  res(res: ServerResponse) {
    return { statusCode: res.statusCode };
  },
  err: pino.stdSerializers.err,
};

function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers,
    base: { service: 'renkei' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
