import autocannon from 'autocannon';
import { assertLoopback, percentile, type LoadResult } from './load.ts';

export interface PooledRequest {
  /** A body (POST): a form unless the entry's headers name another content-type; absent for GET. */
  body?: string;
  headers: Record<string, string>;
}

export interface PoolLoadResult extends LoadResult {
  /** Seconds the load actually ran (less than asked when the pool ran low). */
  duration: number;
  /** The pool ran low and the load stopped early. */
  exhausted: boolean;
  /** How many pool entries were handed out (a request each). */
  used: number;
  statusCodes: Record<string, number>;
}

/** One measured sample of a bench server: the load's figures and the CPU the server and PostgreSQL spent per request. */
export interface ServerSample extends Omit<PoolLoadResult, 'used' | 'statusCodes'> {
  serverCpuUsPerReq: number;
  pgCpuUsPerReq: number;
}

/**
 * Sends every entry of a pre-built pool at most once (single-use codes, unique jtis), for at most
 * `seconds`. When fewer than `reserve` entries are left the load is stopped (autocannon notices within
 * one 100 ms sample), so requests in the stopping window still get fresh entries. Throughput is
 * responses ÷ the time the load actually ran; latency percentiles come from every response's own
 * sub-millisecond timing.
 */
export async function runPoolLoad(opts: {
  url: string;
  connections: number;
  seconds: number;
  pool: PooledRequest[];
  reserve: number;
  method?: 'GET' | 'POST';
}): Promise<PoolLoadResult> {
  assertLoopback(opts.url);
  const u = new URL(opts.url);
  const path = `${u.pathname}${u.search}`;
  const method = opts.method ?? 'POST';
  const timings: number[] = [];
  let next = 0;
  let stopping = false;
  let instance!: autocannon.Instance;
  const setupRequest = (req: Record<string, unknown>) => {
    if (!stopping && opts.pool.length - next <= opts.reserve) {
      stopping = true;
      instance?.stop();
    }
    const entry = opts.pool[Math.min(next, opts.pool.length - 1)]!;
    next++;
    return entry.body === undefined
      ? { ...req, method, path, headers: entry.headers }
      : { ...req, method, path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...entry.headers }, body: entry.body };
  };
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        sampleInt: 100,
        requests: [{ setupRequest: setupRequest as never }],
        // The server's certificate is self-signed; loopback only (checked above).
        tlsOptions: { rejectUnauthorized: false },
      } as autocannon.Options,
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    timings.push(responseTime);
  });
  const result = await done;
  timings.sort((a, b) => a - b);
  const duration = (result as unknown as { duration: number }).duration || opts.seconds;
  const statusCodes = Object.fromEntries(Object.entries((result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  return {
    requests: result.requests.total,
    rps: result.requests.total / duration,
    p50: percentile(timings, 50),
    p99: percentile(timings, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    duration,
    exhausted: stopping,
    used: next,
    statusCodes,
  };
}
