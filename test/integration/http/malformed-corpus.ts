import type { FastifyInstance } from 'fastify';

/**
 * Shared pieces of the malformed-input corpus (DESIGN §11 "no input makes the server answer 500"): the
 * route list of an application, the values thrown at every field, and a tally that turns each answer
 * into a verdict. Stalls are detected with a per-request deadline: an answer that never comes is a
 * failure, not a slow one.
 */

export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  /** The path as registered, with `:param` and `*` placeholders. */
  path: string;
}

/**
 * Every route of a built application, read from `printRoutes` (the tree's lines concatenate to the
 * paths). HEAD routes are Fastify's automatic twins of GET routes and are left out.
 */
export function routesOf(app: FastifyInstance): RouteEntry[] {
  const out: RouteEntry[] = [];
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    segments.length = depth;
    segments[depth - 1] = m[2]!;
    const path = segments.join('');
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') out.push({ method: method as RouteEntry['method'], path });
    }
  }
  return out;
}

/** Values for a form field or query parameter, already percent-encoded as a client would send them. */
export const ENCODED_VALUES: readonly string[] = [
  '%00', 'a%00b', '%FF', '%C3%28', '%ED%A0%80', '%E3%81%82%F0%9F%98%80', '%', '%ZZ',
  '2026-02-30', '2026-13-45', '0000-01-01', '0'.repeat(36), '-'.repeat(36), '00000000-0000-0000-0000-000000000000',
  '99999999999999999999999', '-1', '1e308', 'NaN', '', 'x'.repeat(5000), '%E3%81%82'.repeat(1200),
  '%3Cscript%3E', '__proto__', '%0D%0ASet-Cookie:%20x=1',
];

/** The smaller set for each form field of a form with many, and for routes a stranger cannot get past. */
export const CORE_VALUES: readonly string[] = [
  '%00', 'a%00b', '%FF', '%ED%A0%80', '2026-02-30', '2026-13-45', '0'.repeat(36), '-'.repeat(36),
  '99999999999999999999999', '-1', '', 'x'.repeat(5000), '%E3%81%82'.repeat(1200), '%0D%0ASet-Cookie:%20x=1',
];

/** Values for a JSON body field: what a form cannot send. */
export const JSON_VALUES: readonly unknown[] = [
  '\u0000', 'a\ud800b', '\udfff', 12345678901234567890123, -1, 1.5, true, null, [], ['a', 'b'], {}, { $gt: '' },
  'x'.repeat(70_000), nested(1000),
];

/** Path parameter values, percent-encoded. */
export const PARAM_VALUES: readonly string[] = [
  '%00', 'a%00b', '%FF', '%C3%28', '%ED%A0%80', '0'.repeat(36), '-'.repeat(36), '00000000-0000-0000-0000-000000000000',
  '99999999999999999999', '..%2F..%2Fetc', 'x'.repeat(199), '%20', '%2F',
];

/** An object nested `depth` levels deep: `{"a":{"a":…}}`. */
export function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) v = { a: v };
  return v;
}

/** `a[b][c]…=1`, qs-style nesting `depth` levels deep. */
export function deepKey(depth: number): string {
  return `a${'[b]'.repeat(depth)}=1`;
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

export interface Verdict {
  what: string;
  status: number | 'stalled' | 'failed';
  problem?: string;
}

/**
 * Collects every request of the corpus with its verdict. A problem is a 5xx, a stall, a request the
 * client could not complete, or an error answer without a machine-readable code: JSON with
 * `errorCode` (ours and GMO's) or `error` (OAuth), or an HTML page (a browser's answer; the error page
 * carries the code and the request id, a form shown again carries its message).
 */
export class Tally {
  readonly verdicts: Verdict[] = [];

  record(what: string, answer: Answer | 'stalled' | Error): void {
    if (answer === 'stalled') return void this.verdicts.push({ what, status: 'stalled', problem: 'no answer before the deadline' });
    if (answer instanceof Error) return void this.verdicts.push({ what, status: 'failed', problem: answer.message });
    const problem = problemOf(answer);
    this.verdicts.push({ what, status: answer.status, ...(problem ? { problem } : {}) });
  }

  get size(): number {
    return this.verdicts.length;
  }

  get serverErrors(): Verdict[] {
    return this.verdicts.filter((v) => typeof v.status === 'number' && v.status >= 500);
  }

  get problems(): Verdict[] {
    return this.verdicts.filter((v) => v.problem !== undefined);
  }

  /** How many answers had each status (of the requests whose description starts with `prefix`), for the report. */
  histogram(prefix = ''): Record<string, number> {
    const h: Record<string, number> = {};
    for (const v of this.verdicts) if (v.what.startsWith(prefix)) h[String(v.status)] = (h[String(v.status)] ?? 0) + 1;
    return h;
  }
}

function problemOf(a: Answer): string | undefined {
  if (a.status >= 500) return `${a.status}: ${a.body.slice(0, 200)}`;
  if (a.status < 400) return undefined;
  if (/json/.test(a.contentType)) {
    try {
      const body = JSON.parse(a.body) as Record<string, unknown>;
      if (typeof body.errorCode === 'string' || typeof body.error === 'string') return undefined;
    } catch {
      return `${a.status}: JSON that does not parse`;
    }
    return `${a.status}: JSON without errorCode or error: ${a.body.slice(0, 200)}`;
  }
  if (/text\/html/.test(a.contentType) && a.body.length > 0) return undefined;
  return `${a.status}: no machine-readable error (${a.contentType || 'no content type'}): ${a.body.slice(0, 120)}`;
}

/** Resolves with the promise's value, or 'stalled' after `ms`; the timer never keeps the process alive. */
export async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'stalled'>((resolve) => {
    timer = setTimeout(() => resolve('stalled'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
