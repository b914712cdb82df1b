/**
 * Classifies errors thrown by pg or PGlite without importing either driver's classes:
 * both expose the SQLSTATE as `code` and the violated constraint as `constraint`.
 */
interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return sqlState(err) === '23505' && (constraint === undefined || constraintOf(err) === constraint);
}

/**
 * True when the database cannot be reached or went away: the caller answers 503 and the process
 * keeps running, so it serves again as soon as the database is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = sqlState(err) ?? (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Class 08 connection exceptions, 57P01-57P03 admin shutdown / cannot connect now, 53300 too many
    // connections, 57014 a statement cancelled at its time budget (an overloaded or stalled server).
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    message,
  );
}

/**
 * SQLSTATEs by which the database refuses a value itself, not the request's right to be served: class 22
 * data exceptions (22P02 invalid text representation such as a malformed uuid, 22021 a NUL or invalid
 * byte sequence, 22007/22008 impossible dates, 22003 numbers out of range, 22001 strings too long,
 * 22P05 untranslatable \u0000 in jsonb) and 54000 program limits (an index row too large). Validation
 * should stop such input first; when it misses one, the caller answers 400 instead of 500. Connection
 * failures (class 08, 57P0x) are never among them: those stay 503.
 */
export function isInvalidInputError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && (code.startsWith('22') || code === '54000');
}

function sqlState(err: unknown): string | undefined {
  const code = (err as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function constraintOf(err: unknown): string | undefined {
  const c = (err as PgLikeError | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}
