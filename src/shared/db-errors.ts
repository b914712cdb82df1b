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
    // Class 08 connection exceptions, 57P01-57P03 admin shutdown / cannot connect now, 53300 too many connections.
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    message,
  );
}

function sqlState(err: unknown): string | undefined {
  const code = (err as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function constraintOf(err: unknown): string | undefined {
  const c = (err as PgLikeError | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}
