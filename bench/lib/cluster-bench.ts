import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';
import { request } from 'undici';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../test/helpers/oauth-client.ts';
import { requestsWith, resourceProof, type ApiBenchContext } from './api-bench.ts';
import { loadGeneratorClient, walkConsentJourney } from './load-generator-client.ts';
import { median } from './load.ts';
import { runPoolLoad } from './pool-load.ts';
import { cpuSeconds, cpuSecondsOf, HAS_TASKSET } from './server-process.ts';

/**
 * `bench cluster`: the `bench api` balances call (DPoP-bound token, a fresh proof per request) against
 * src/server.ts itself with WORKERS=1 and WORKERS=2 (src/cluster.ts), one PostgreSQL database, rounds
 * alternating in the same run.
 *
 * This machine has 2 cores, shared by the load generator (core 1), PostgreSQL (either) and the server.
 * So each worker count runs twice: with the whole server tree pinned to core 0 (the like-for-like
 * per-core figure: what a second process costs, not what it gains) and unpinned (both cores, competing
 * with the load and PostgreSQL: what it gains here). Server CPU is summed over the tree (primary and
 * workers); req per CPU-second counts server + PostgreSQL; the projection assumes enough cores.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, '../../src/server.ts');
const ACCOUNT_ID = '101011000088'; // as bench api: 法人営業部 普通 1000088, 代表口座

interface Subject { label: string; workers: number; pinned: boolean }
const SUBJECTS: Subject[] = [
  { label: '1 process, core 0', workers: 1, pinned: true },
  { label: '2 workers, core 0', workers: 2, pinned: true },
  { label: '1 process, unpinned', workers: 1, pinned: false },
  { label: '2 workers, unpinned', workers: 2, pinned: false },
];

interface Sample {
  rps: number; p50: number; p99: number; errors: number; requests: number; duration: number; exhausted: boolean;
  serverCpuUsPerReq: number; primaryCpuUsPerReq: number; pgCpuUsPerReq: number; serverCores: number; pids: number;
}

/** The server and the workers it forked, by process id (the tree's CPU is their sum). */
function treePids(pid: number): number[] {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return [pid, ...children];
}

/**
 * `node src/server.ts` with WORKERS, its log in a file (readiness is the primary's "workers ready" line;
 * truncated at every start, left for a look when a sample fails).
 */
async function startRenkei(s: Subject, env: Record<string, string>, logFile: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const cpus = s.pinned ? '0' : `0-${os.cpus().length - 1}`; // unpinned: not the load generator's core-1 affinity either
  const argv = HAS_TASKSET ? ['taskset', '-c', cpus, process.execPath, SERVER] : [process.execPath, SERVER];
  const fd = openSync(logFile, 'w');
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env, WORKERS: String(s.workers) }, stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  const readyLine = s.workers > 1 ? '"renkei workers ready"' : '"renkei ready"';
  const deadline = Date.now() + 90_000;
  while (!readFileSync(logFile, 'utf8').includes(readyLine)) {
    if (child.exitCode !== null) throw new Error(`bench cluster: renkei (WORKERS=${s.workers}) exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bench cluster: renkei (WORKERS=${s.workers}) did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: child.pid!,
    async stop() {
      const pids = treePids(child.pid!);
      if (child.exitCode === null) {
        child.kill('SIGTERM'); // the primary closes its workers (src/cluster.ts)
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await new Promise((r) => child.once('exit', r));
        clearTimeout(timer);
      }
      const left = pids.filter((p) => spawnSync('kill', ['-0', String(p)]).status === 0);
      if (left.length) throw new Error(`bench cluster: processes left after stop: ${left.join(', ')}`);
    },
  };
}

export async function clusterBenchmark(ctx: ApiBenchContext & { dataDir: string }, renkeiEnv: Record<string, string>) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
  const maxProofs = Number(process.env.BENCH_MAX_PROOFS ?? 200_000);
  if (seconds + warmupSeconds > 40) throw new Error('bench cluster: proofs live 60 s; keep BENCH_SECONDS ≤ 38');
  const port = Number(new URL(renkeiEnv.PUBLIC_URL!).port);
  const issuer = `https://127.0.0.1:${port}`;
  // As bench api's subject, plus no scheduled work (one pg-boss in one subject would be noise).
  const env = {
    ...renkeiEnv, PORT: String(port), MTLS_PORT: String(port + 1), PUBLIC_URL: issuer, MTLS_PUBLIC_URL: `https://127.0.0.1:${port + 1}`,
    API_RATE_LIMIT_PER_MINUTE: '10000000', JOBS: 'false',
  };
  const logFile = path.join(ctx.dataDir, 'cluster-bench.log');
  const db = await ctx.seededDb();
  const pgBackends = new RegExp(` ${new URL(ctx.dbUrl).pathname.slice(1)} 127.0.0.1`);
  const url = `${issuer}/api/v1/accounts/balances?accountId=${ACCOUNT_ID}`;
  const htu = url.split('?')[0]!;

  // One consent journey for a refresh token bound to this load generator's DPoP key (as bench api).
  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances', 'transactions'], showBusinessSelection: false });
  const { dpopKey, dpopPair, agent, auth } = loadGeneratorClient(issuer, ctx.cert);
  let c!: Awaited<ReturnType<typeof oauthClientFor>>;
  let refreshToken = '';
  {
    const server = await startRenkei(SUBJECTS[0]!, env, logFile);
    try {
      c = await oauthClientFor(auth, tc);
      c.DPoP = oauth.DPoP(c.client, dpopPair);
      const { url: par, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access balances');
      const params = oauth.validateAuthResponse(c.as, c.client, await walkConsentJourney(auth, par), oauth.expectNoState);
      const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
        await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
      if (!tokens.refresh_token) throw new Error('bench cluster: no refresh token');
      refreshToken = tokens.refresh_token;
    } finally {
      await server.stop();
    }
  }

  const measure = async (s: Subject): Promise<Sample & { check: string }> => {
    const server = await startRenkei(s, env, logFile);
    try {
      // A fresh access token for this sample, refreshed on this server (any worker: everything is in PostgreSQL).
      const t = await oauth.processRefreshTokenResponse(c.as, c.client,
        await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, refreshToken, { DPoP: c.DPoP, ...c.customFetch }));
      const accessToken = t.access_token;
      if (t.refresh_token) refreshToken = t.refresh_token;
      const ath = createHash('sha256').update(accessToken).digest('base64url');
      const pool = (n: number) => {
        const iat = Math.floor(Date.now() / 1000);
        return Array.from({ length: n }, () => resourceProof(dpopKey, htu, ath, iat));
      };
      const probe = await request(url, { dispatcher: agent, headers: requestsWith(accessToken, pool(1))[0]!.headers });
      const body = await probe.body.json() as { balances?: { balance: string }[] };
      if (probe.statusCode !== 200) throw new Error(`bench cluster: ${url} answered ${probe.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
      const check = `balance ${body.balances?.[0]?.balance}`;
      const warm = await runPoolLoad({ url, connections, seconds: warmupSeconds, method: 'GET', pool: requestsWith(accessToken, pool(Math.min(maxProofs, 40_000))), reserve: connections * 4 });
      const proofs = pool(Math.min(maxProofs, Math.ceil(warm.rps * seconds * 1.5) + 5_000));
      const pids = treePids(server.pid);
      if (pids.length !== (s.workers > 1 ? s.workers + 1 : 1)) throw new Error(`bench cluster: expected ${s.workers} workers, found processes ${pids.join(', ')}`);
      const treeCpu = () => pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
      const cpu0 = treeCpu();
      const primary0 = cpuSeconds(server.pid);
      const pg0 = cpuSecondsOf(pgBackends);
      const r = await runPoolLoad({ url, connections, seconds, method: 'GET', pool: requestsWith(accessToken, proofs), reserve: connections * 4 });
      const cpu = treeCpu() - cpu0;
      const primaryCpu = cpuSeconds(server.pid) - primary0;
      const pgCpu = cpuSecondsOf(pgBackends) - pg0;
      const perReq = (x: number) => (r.requests ? (x * 1e6) / r.requests : NaN);
      return {
        rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors + r.non2xx, requests: r.requests, duration: r.duration, exhausted: r.exhausted,
        serverCpuUsPerReq: perReq(cpu), primaryCpuUsPerReq: s.workers > 1 ? perReq(primaryCpu) : 0, pgCpuUsPerReq: perReq(pgCpu), serverCores: cpu / r.duration, pids: pids.length, check,
      };
    } finally {
      await server.stop();
    }
  };

  const samples = new Map<Subject, (Sample & { check: string })[]>(SUBJECTS.map((s) => [s, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternating, so drift on a shared machine hits every subject alike.
      for (const s of SUBJECTS) samples.get(s)!.push(await measure(s));
    }
  } finally {
    await agent.close();
  }
  const checks = new Set([...samples.values()].flat().map((x) => x.check));
  if (checks.size !== 1) throw new Error(`bench cluster: the subjects disagree: ${[...checks].join(' / ')}`);

  const summarize = (xs: Sample[]) => {
    const m = (f: (x: Sample) => number) => median(xs.map(f));
    const serverCpuUsPerReq = m((x) => x.serverCpuUsPerReq);
    const pgCpuUsPerReq = m((x) => x.pgCpuUsPerReq);
    return {
      rps: m((x) => x.rps), p50: m((x) => x.p50), p99: m((x) => x.p99), serverCpuUsPerReq, pgCpuUsPerReq, serverCores: m((x) => x.serverCores),
      primaryCpuUsPerReq: m((x) => x.primaryCpuUsPerReq),
      // Requests per CPU-second of server + PostgreSQL: the per-core figure, whatever the core count.
      reqPerCpuSecond: 1e6 / (serverCpuUsPerReq + pgCpuUsPerReq),
      errors: xs.reduce((a, x) => a + x.errors, 0), exhausted: xs.filter((x) => x.exhausted).length,
    };
  };
  const S = new Map(SUBJECTS.map((s) => [s.label, summarize(samples.get(s)!)]));
  const row = (label: string, x: ReturnType<typeof summarize>) =>
    `  ${label.padEnd(22)} ${x.rps.toFixed(0).padStart(6)} req/s   p50 ${x.p50.toFixed(2).padStart(6)} ms   p99 ${x.p99.toFixed(2).padStart(6)} ms   `
    + `server ${x.serverCpuUsPerReq.toFixed(0).padStart(4)} µs/req (${x.serverCores.toFixed(2)} cores; primary ${x.primaryCpuUsPerReq.toFixed(0).padStart(3)})   postgres ${x.pgCpuUsPerReq.toFixed(0).padStart(4)} µs/req   `
    + `${x.reqPerCpuSecond.toFixed(0).padStart(5)} req/CPU-s   errors ${x.errors}${x.exhausted ? `   (proof pool ran low in ${x.exhausted})` : ''}`;
  const one = S.get(SUBJECTS[0]!.label)!;
  const two = S.get(SUBJECTS[1]!.label)!;
  const oneFree = S.get(SUBJECTS[2]!.label)!;
  const twoFree = S.get(SUBJECTS[3]!.label)!;
  const ratios = {
    pinned: { throughput: two.rps / one.rps, p99: two.p99 / one.p99, perCpuSecond: two.reqPerCpuSecond / one.reqPerCpuSecond },
    unpinned: { throughput: twoFree.rps / oneFree.rps, p99: twoFree.p99 / oneFree.p99, perCpuSecond: twoFree.reqPerCpuSecond / oneFree.reqPerCpuSecond },
  };
  // Enough cores: each worker's event loop on a core of its own at ~1 core busy, the server CPU per request as
  // measured with the tree pinned (the primary's hand-over included), PostgreSQL and the load on other cores.
  const projected = { one: 1e6 / one.serverCpuUsPerReq, two: (2 * 1e6) / two.serverCpuUsPerReq };
  const pgCoresForTwo = (projected.two * two.pgCpuUsPerReq) / 1e6;

  process.stdout.write(`\n  GET /api/v1/accounts/balances (DPoP-bound token), ${rounds} rounds × ${seconds} s, ${connections} connections, medians; `
    + `server CPU summed over primary + workers\n`);
  for (const s of SUBJECTS) process.stdout.write(`${row(s.label, S.get(s.label)!)}\n`);
  process.stdout.write(`  2 workers / 1 process, tree pinned to core 0: throughput ${ratios.pinned.throughput.toFixed(2)} ×, p99 ${ratios.pinned.p99.toFixed(2)} ×, req per CPU-second ${ratios.pinned.perCpuSecond.toFixed(2)} ×\n`);
  process.stdout.write(`  2 workers / 1 process, unpinned (2 cores shared with the load and PostgreSQL): throughput ${ratios.unpinned.throughput.toFixed(2)} ×, p99 ${ratios.unpinned.p99.toFixed(2)} ×, req per CPU-second ${ratios.unpinned.perCpuSecond.toFixed(2)} ×\n`);
  process.stdout.write(`  projection, a core per worker (each ~1 core busy at the pinned server µs/req) and PostgreSQL/load elsewhere: `
    + `1 process ≈ ${projected.one.toFixed(0)} req/s, 2 workers ≈ ${projected.two.toFixed(0)} req/s (${(projected.two / projected.one).toFixed(2)} ×), `
    + `PostgreSQL then needs ≈ ${pgCoresForTwo.toFixed(2)} cores\n`);
  return {
    describe: 'GET /api/v1/accounts/balances, src/server.ts with WORKERS=1 and WORKERS=2',
    check: [...checks][0],
    subjects: Object.fromEntries(SUBJECTS.map((s) => [s.label, { ...s, ...S.get(s.label)!, samples: samples.get(s) }])),
    ratios, projected: { ...projected, ratio: projected.two / projected.one, pgCoresForTwo },
  };
}
