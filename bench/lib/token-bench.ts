import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { Agent, request } from 'undici';
import { clientAssertion, dpopProof, type Es256Key } from './jws.ts';
import type { MintedCode, MintSpec } from './mint-codes.ts';
import { runPoolLoad, type PooledRequest, type PoolLoadResult } from './pool-load.ts';
import { startIpcServer, type IpcServer } from './ipc-server.ts';
import { cpuSeconds, cpuSecondsOf } from './server-process.ts';
import { median } from './load.ts';

/**
 * `bench token`: POST /oauth2/token with private_key_jwt + DPoP, for the authorization_code grant
 * (single-use codes minted by each server process through its own models) and for the refresh_token
 * grant (refresh tokens obtained by real code exchanges), renkei beside a bare oidc-provider.
 */
export interface TokenVariant {
  name: string;
  cmd: string[];
  env: Record<string, string>;
  /** Regex over process command lines whose CPU counts as this variant's PostgreSQL (none: in-memory). */
  pg?: RegExp;
}

export interface TokenBenchOptions {
  issuer: string;
  seconds: number;
  rounds: number;
  connections: number;
  warmupSeconds: number;
  client: { clientId: string; kid: string; key: KeyObject; redirectUri: string };
  dpopKey: Es256Key;
  spec: MintSpec;
  baseline: TokenVariant;
  subject: TokenVariant;
  /** Further subject variants (what-ifs), measured in the same rounds and reported against the baseline. */
  extra?: TokenVariant[];
  /** Upper bound on codes minted per sample (codes live 60 s: minting must stay well inside that). */
  maxCodes: number;
  /** Only the code exchange (e.g. for a CPU profile of it); refresh then repeats the code figures. */
  only?: 'code' | undefined;
  /** Write a V8 CPU profile of each server over exactly each measured sample (CPU use in /proc then includes the profiler). */
  profileDir?: string | undefined;
  log: (line: string) => void;
}

export interface TokenSample extends PoolLoadResult {
  serverCpuUsPerToken: number;
  pgCpuUsPerToken: number;
  dbRoundTripsPerToken: number;
  mintedCodes?: number;
  mintMs?: number;
}

const ASSERTION_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');

function codePool(o: TokenBenchOptions, codes: MintedCode[], tokenUrl: string): PooledRequest[] {
  const redirect = encodeURIComponent(o.client.redirectUri);
  return codes.map(({ code, verifier }) => ({
    body: `grant_type=authorization_code&code=${code}&redirect_uri=${redirect}&code_verifier=${verifier}&client_id=${encodeURIComponent(o.client.clientId)}`
      + `&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${clientAssertion(o.client, o.issuer)}`,
    headers: { dpop: dpopProof(o.dpopKey, 'POST', tokenUrl) },
  }));
}

function refreshPool(o: TokenBenchOptions, refreshTokens: string[], count: number, tokenUrl: string): PooledRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshTokens[i % refreshTokens.length]!)}&client_id=${encodeURIComponent(o.client.clientId)}`
      + `&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${clientAssertion(o.client, o.issuer)}`,
    headers: { dpop: dpopProof(o.dpopKey, 'POST', tokenUrl) },
  }));
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** One request outside the load, with its body checked: a DPoP-bound token response. */
async function tokenRequest(url: string, entry: PooledRequest, expectRefresh: boolean): Promise<Record<string, unknown>> {
  const res = await request(url, { method: 'POST', dispatcher: insecure, headers: { ...entry.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: entry.body });
  const body = (await res.body.json()) as Record<string, unknown>;
  const fail = (why: string) => new Error(`token response check failed (${why}): ${res.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
  if (res.statusCode !== 200) throw fail('status');
  if (body.token_type !== 'DPoP') throw fail('token_type');
  const at = String(body.access_token ?? '').split('.');
  if (at.length !== 3) throw fail('access_token is not a JWT');
  const header = JSON.parse(Buffer.from(at[0]!, 'base64url').toString()) as { alg?: string; typ?: string };
  const claims = JSON.parse(Buffer.from(at[1]!, 'base64url').toString()) as { cnf?: { jkt?: string }; scope?: string };
  if (header.alg !== 'ES256' || header.typ !== 'at+jwt') throw fail('access token header');
  if (!claims.cnf?.jkt) throw fail('access token not DPoP-bound');
  if (typeof body.id_token !== 'string') throw fail('id_token');
  if (expectRefresh && typeof body.refresh_token !== 'string') throw fail('refresh_token');
  return body;
}

async function measured(server: IpcServer, pg: RegExp | undefined, run: () => Promise<PoolLoadResult>, profileFile?: string): Promise<TokenSample> {
  if (profileFile) await server.call('profileStart');
  const cpu0 = cpuSeconds(server.pid);
  const pg0 = pg ? cpuSecondsOf(pg) : 0;
  const { queries: q0 } = await server.call<{ queries: number }>('stats');
  const r = await run();
  if (profileFile) await server.call('profileStop', { file: profileFile });
  const cpu1 = cpuSeconds(server.pid);
  const pg1 = pg ? cpuSecondsOf(pg) : 0;
  const { queries: q1 } = await server.call<{ queries: number }>('stats');
  const per = (x: number) => (r.requests ? x / r.requests : NaN);
  return { ...r, serverCpuUsPerToken: per((cpu1 - cpu0) * 1e6), pgCpuUsPerToken: per((pg1 - pg0) * 1e6), dbRoundTripsPerToken: per(q1 - q0) };
}

/** One server process: code exchange (warm-up, sample), then refresh (warm-up, sample). */
async function sampleVariant(o: TokenBenchOptions, v: TokenVariant, estimate: { code: number; refresh: number }) {
  const tokenUrl = `${o.issuer}/oauth2/token`;
  const server = await startIpcServer(v.cmd, v.env);
  try {
    const mint = async (count: number) => {
      const r = await server.call<{ codes: MintedCode[]; ms: number }>('mint', { spec: o.spec, count });
      return r;
    };
    const reserveFor = (rate: number) => Math.ceil(rate * 0.4) + 2 * o.connections;
    const sizeFor = (rate: number, seconds: number) => Math.min(o.maxCodes, Math.ceil(rate * seconds * 1.6) + reserveFor(rate));

    // Code exchange: warm-up on its own codes (JIT, pools, TLS), which also calibrates the batch size.
    const warmCodes = await mint(sizeFor(estimate.code, o.warmupSeconds));
    const warm = await runPoolLoad({ url: tokenUrl, connections: o.connections, seconds: o.warmupSeconds, pool: codePool(o, warmCodes.codes, tokenUrl), reserve: reserveFor(estimate.code) });
    if (warm.non2xx || warm.errors) o.log(`    warning: ${v.name} warm-up had ${warm.non2xx} non-2xx, ${warm.errors} errors ${JSON.stringify(warm.statusCodes)}`);
    estimate.code = warm.rps;
    const batch = await mint(sizeFor(estimate.code, o.seconds + 2));
    const pool = codePool(o, batch.codes, tokenUrl);
    await new Promise((r) => setTimeout(r, 500));
    const profile = (grant: string) => (o.profileDir ? path.join(o.profileDir, `${v.name.replace(/\W+/g, '-')}-${grant}-${Date.now()}.cpuprofile`) : undefined);
    const code = await measured(server, v.pg, () => runPoolLoad({ url: tokenUrl, connections: o.connections, seconds: o.seconds, pool, reserve: reserveFor(estimate.code) }), profile('code'));
    code.mintedCodes = batch.codes.length;
    code.mintMs = batch.ms;

    if (o.only === 'code') return { code, refresh: code };
    // Refresh: one refresh token per connection from real, checked code exchanges.
    const rtCodes = await mint(o.connections);
    const refreshTokens: string[] = [];
    for (const entry of codePool(o, rtCodes.codes, tokenUrl)) refreshTokens.push(String((await tokenRequest(tokenUrl, entry, true)).refresh_token));
    const first = await tokenRequest(tokenUrl, refreshPool(o, refreshTokens, 1, tokenUrl)[0]!, false);
    if (first.refresh_token !== undefined && first.refresh_token !== refreshTokens[0]) throw new Error(`${v.name} rotated the refresh token`);
    const rwarm = await runPoolLoad({ url: tokenUrl, connections: o.connections, seconds: o.warmupSeconds, pool: refreshPool(o, refreshTokens, Math.ceil(estimate.refresh * o.warmupSeconds * 1.3) + reserveFor(estimate.refresh), tokenUrl), reserve: reserveFor(estimate.refresh) });
    if (rwarm.non2xx || rwarm.errors) o.log(`    warning: ${v.name} refresh warm-up had ${rwarm.non2xx} non-2xx, ${rwarm.errors} errors ${JSON.stringify(rwarm.statusCodes)}`);
    estimate.refresh = rwarm.rps;
    const rpool = refreshPool(o, refreshTokens, Math.ceil(estimate.refresh * (o.seconds + 1) * 1.3) + reserveFor(estimate.refresh), tokenUrl);
    await new Promise((r) => setTimeout(r, 500));
    const refresh = await measured(server, v.pg, () => runPoolLoad({ url: tokenUrl, connections: o.connections, seconds: o.seconds, pool: rpool, reserve: reserveFor(estimate.refresh) }), profile('refresh'));
    return { code, refresh };
  } finally {
    await server.stop();
  }
}


export function summarizeTokens(samples: TokenSample[]) {
  return {
    tokensPerSecond: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    serverCpuUsPerToken: median(samples.map((s) => s.serverCpuUsPerToken)),
    pgCpuUsPerToken: median(samples.map((s) => s.pgCpuUsPerToken)),
    dbRoundTripsPerToken: median(samples.map((s) => s.dbRoundTripsPerToken)),
    errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
    exhausted: samples.filter((s) => s.exhausted).length,
  };
}

export async function runTokenBench(o: TokenBenchOptions) {
  const variants = [o.baseline, o.subject, ...(o.extra ?? [])];
  const estimates = new Map(variants.map((v) => [v, { code: 1000, refresh: 1000 }]));
  const samples = new Map(variants.map((v) => [v, { code: [] as TokenSample[], refresh: [] as TokenSample[] }]));
  for (let round = 0; round < o.rounds; round++) {
    // Alternate, so drift on a shared machine hits both alike.
    for (const v of variants) {
      const s = await sampleVariant(o, v, estimates.get(v)!);
      samples.get(v)!.code.push(s.code);
      samples.get(v)!.refresh.push(s.refresh);
      o.log(`  round ${round + 1} ${v.name}: code ${s.code.rps.toFixed(0)}/s p99 ${s.code.p99.toFixed(1)} ms (${s.code.non2xx + s.code.errors} bad, ${s.code.mintedCodes} codes minted in ${((s.code.mintMs ?? 0) / 1000).toFixed(1)} s${s.code.exhausted ? ', pool ran low' : ''}); refresh ${s.refresh.rps.toFixed(0)}/s p99 ${s.refresh.p99.toFixed(1)} ms (${s.refresh.non2xx + s.refresh.errors} bad)`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const grant of ['code', 'refresh'] as const) {
    const B = summarizeTokens(samples.get(o.baseline)![grant]);
    const S = summarizeTokens(samples.get(o.subject)![grant]);
    out[grant] = {
      baseline: { name: o.baseline.name, ...B, samples: samples.get(o.baseline)![grant] },
      subject: { name: o.subject.name, ...S, samples: samples.get(o.subject)![grant] },
      throughputRatio: S.tokensPerSecond / B.tokensPerSecond,
      p99Ratio: S.p99 / B.p99,
      extra: (o.extra ?? []).map((v) => {
        const X = summarizeTokens(samples.get(v)![grant]);
        return { name: v.name, ...X, samples: samples.get(v)![grant], throughputRatio: X.tokensPerSecond / B.tokensPerSecond, p99Ratio: X.p99 / B.p99 };
      }),
    };
  }
  type Summary = ReturnType<typeof summarizeTokens> & { name: string };
  return out as Record<'code' | 'refresh', { baseline: Summary; subject: Summary; throughputRatio: number; p99Ratio: number; extra: (Summary & { throughputRatio: number; p99Ratio: number })[] }>;
}
