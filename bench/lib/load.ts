import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** Refuses any target that is not this machine: benchmarks only ever load loopback. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`refusing to load a non-loopback address: ${host}`);
}

/** The p-th percentile of ascending values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs autocannon against one URL for a bounded time. Latency percentiles come from every response's
 * own timing (sub-millisecond), not autocannon's whole-millisecond histogram.
 */
export async function runLoad(opts: {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Per request, e.g. a fresh DPoP proof. */
  setupRequest?: (req: { path?: string; headers?: Record<string, string> }) => { headers?: Record<string, string> };
  /** A TLS client certificate every connection presents (mutual TLS). */
  clientCertificate?: { cert: string; key: string };
}): Promise<LoadResult> {
  assertLoopback(opts.url);
  const timings: number[] = [];
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        headers: opts.headers,
        ...(opts.setupRequest ? { requests: [{ setupRequest: opts.setupRequest as never }] } : {}),
        // The server's certificate is self-signed; loopback only (checked above).
        tlsOptions: { rejectUnauthorized: false, ...opts.clientCertificate },
      } as autocannon.Options,
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    timings.push(responseTime);
  });
  const result = await done;
  timings.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    rps: result.requests.total / opts.seconds,
    p50: percentile(timings, 50),
    p99: percentile(timings, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** The median of a few samples: the mean of the two middle ones when their number is even. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
