import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Query parameters that carry credentials or one-time codes (OAuth, OIDC, our own links). */
const SECRET_QUERY_PARAMS = [
  'code', 'token', 'access_token', 'refresh_token', 'id_token_hint', 'login_hint', 'client_assertion',
  'client_secret', 'password', 'pin', 'otp', 'request', 'request_uri', 'code_verifier',
];

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

/** Removes the values of secret query parameters from a URL path, keeping the names for debugging. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_QUERY_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[REDACTED]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
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
