import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { createDb, type DatabaseHandle } from '../src/db/create-db.ts';
import type { Database } from '../src/db/database.ts';
import { seedDemoData } from '../src/db/seed/seed.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { generateSelfSigned } from '../src/tls/server-certificate.ts';
import { median, runLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, cpuSecondsOf, HAS_TASKSET, startServer } from './lib/server-process.ts';
import { journeyBenchmark } from './lib/journey-bench.ts';
import { tokenBenchmark } from './lib/token-report.ts';
import { apiBenchmark } from './lib/api-bench.ts'; // bench api (helper-8)
import { transferBenchmark } from './lib/transfer-bench.ts';
import { clusterBenchmark } from './lib/cluster-bench.ts';

/**
 * `npm run bench -- <name>`: load benchmarks on loopback, each variant beside a baseline measured in
 * the same run, reported as ratios. Servers run pinned to core 0, this load generator to core 1.
 * Knobs: BENCH_SECONDS (per sample, default 10), BENCH_ROUNDS (default 2), BENCH_CONNECTIONS
 * (default 32), BENCH_DATABASE_URL (an admin URL on the PostgreSQL server; default the local one);
 * for `token` BENCH_WARMUP_SECONDS (default 2), BENCH_MAX_CODES (default 40000), BENCH_TOKEN_ONLY=code,
 * BENCH_CPU_PROF=dir (V8 profile of each measured sample; `node bench/lib/profile-summary.ts dir`) and
 * BENCH_TOKEN_EXPERIMENTS (what-if variants, see bench/lib/token-report.ts); for `journey`
 * BENCH_JOURNEYS (per case, default 5) and BENCH_VERBOSE=1 (every request of the first journey; =2 with its SQL).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Variant {
  name: string;
  cmd: string[];
  env: Record<string, string>;
}

/** A load comparison of one GET path: the subject beside its baseline, alternating rounds. */
interface Comparison {
  describe: string;
  path: string;
  baseline: Variant;
  subject: Variant;
}

interface BenchContext {
  dbUrl: string;
  certFile: string;
  keyFile: string;
  /** PEM of the servers' certificate (names localhost and 127.0.0.1). */
  cert: string;
  dataDir: string;
  /** The bench database with the demo data (DESIGN §9) seeded, opened on first use. */
  seededDb(): Promise<Kysely<Database>>;
}

/** Every benchmark either is a comparison (the default runner) or runs itself and returns its report. */
type Benchmark = Comparison | { describe: string; run(ctx: BenchContext): Promise<unknown> };

/** renkei's own server environment for bench servers: same database, TLS, fixed secrets, production log level. */
function renkeiEnv(ctx: BenchContext): Record<string, string> {
  return {
    TLS_CERT_FILE: ctx.certFile, TLS_KEY_FILE: ctx.keyFile, DATABASE_URL: ctx.dbUrl, DATABASE_POOL_SIZE: '10',
    PORT: '19443', MTLS_PORT: '19444', PUBLIC_URL: 'https://127.0.0.1:19443', MTLS_PUBLIC_URL: 'https://127.0.0.1:19444',
    DATA_DIR: ctx.dataDir, SEED_DEMO_DATA: 'false', MIGRATE_ON_START: 'false', LOG_LEVEL: 'info',
    COOKIE_KEYS: 'bench-cookie-key-0123456789abcdefghijklmnop', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
  };
}

async function benchmarks(ctx: BenchContext): Promise<Record<string, Benchmark>> {
  const tls = { TLS_CERT_FILE: ctx.certFile, TLS_KEY_FILE: ctx.keyFile, DATABASE_URL: ctx.dbUrl, DATABASE_POOL_SIZE: '10' };
  return {
    readyz: {
      describe: 'GET /readyz (one database round trip) over HTTPS',
      path: '/readyz',
      baseline: { name: 'bare Fastify + pg', cmd: [process.execPath, path.join(HERE, 'servers/bare-readyz.ts')], env: { ...tls, PORT: '19443' } },
      subject: {
        name: 'renkei (src/server.ts)',
        cmd: [process.execPath, path.join(ROOT, 'src/server.ts')],
        // The same secrets as every renkei server of the run: they share the bench database's signing keys.
        env: renkeiEnv(ctx),
      },
    },
    token: {
      describe: 'POST /oauth2/token, private_key_jwt + DPoP: authorization_code and refresh_token grants',
      run: (c) => tokenBenchmark(c, renkeiEnv(c)),
    },
    // ---- bench api (helper-8): the resource API beside bare Fastify + jose + pg ----
    api: {
      describe: 'GET /api/v1/accounts/balances and a ~100-line statement page, DPoP-bound tokens, PostgreSQL',
      run: (c) => apiBenchmark(c, renkeiEnv(c)),
    },
    // ---- end of bench api ----
    cluster: {
      describe: 'GET /api/v1/accounts/balances (DPoP-bound token) against src/server.ts with WORKERS=1 and WORKERS=2 (node:cluster), one PostgreSQL database',
      run: (c) => clusterBenchmark(c, renkeiEnv(c)),
    },
    transfer: {
      describe: 'POST /api/v1/transfer/request (振込依頼: one application each, Idempotency-Key, DPoP-bound token), PostgreSQL',
      run: (c) => transferBenchmark(c, renkeiEnv(c)),
    },
    journey: {
      describe: 'one whole journey (PAR → login → 利用業務 → PIN → confirm → permission → code): server time and database round trips',
      run: (c) => journeyBenchmark(c, renkeiEnv(c)),
    },
  };
}

interface Sample extends LoadResult {
  serverCpuUsPerReq: number;
  pgCpuUsPerReq: number;
}

/**
 * PostgreSQL backends serving the bench database (`postgres: … user renkei_bench host(port) …`): not
 * every `postgres` process, since other clusters and test databases on this machine come and go
 * (a backend exiting mid-sample made the difference negative).
 */
const BENCH_DB_BACKENDS = / renkei_bench (127.0.0.1|\[local\])/;

async function measure(v: Variant, url: string): Promise<Sample> {
  const server = await startServer(v.cmd, v.env, url);
  try {
    await runLoad({ url, connections: CONNECTIONS, seconds: 2 }); // warm-up: JIT, pool, TLS sessions
    const cpu0 = cpuSeconds(server.pid);
    const pg0 = cpuSecondsOf(BENCH_DB_BACKENDS);
    const r = await runLoad({ url, connections: CONNECTIONS, seconds: SECONDS });
    const perReq = (s: number) => (r.requests ? (s * 1e6) / r.requests : NaN);
    return { ...r, serverCpuUsPerReq: perReq(cpuSeconds(server.pid) - cpu0), pgCpuUsPerReq: perReq(cpuSecondsOf(BENCH_DB_BACKENDS) - pg0) };
  } finally {
    await server.stop();
  }
}


function summarize(samples: Sample[]) {
  return {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    serverCpuUsPerReq: median(samples.map((s) => s.serverCpuUsPerReq)),
    pgCpuUsPerReq: median(samples.map((s) => s.pgCpuUsPerReq)),
    errors: samples.reduce((a, s) => a + s.errors + s.non2xx, 0),
  };
}

async function main(): Promise<void> {
  if (HAS_TASKSET && !process.env.BENCH_PINNED) {
    // Re-run pinned to core 1 so the load generator never competes with the server on core 0.
    const r = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
    process.exit(r.status ?? 1);
  }
  await takeBenchLock();
  const requested = process.argv.slice(2);
  const dbName = process.env.BENCH_DB_NAME ?? 'renkei_bench'; // another name lets two benches run side by side (helper-8)
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const dbUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).toString();
  const handle = await createDb({ databaseUrl: dbUrl, poolSize: 2 });
  await migrateToLatest(handle.db);
  await handle.close();

  const dir = await mkdtemp(path.join(tmpdir(), 'renkei-bench-'));
  const tls = await generateSelfSigned(['localhost', '127.0.0.1']);
  const certFile = path.join(dir, 'server.crt');
  const keyFile = path.join(dir, 'server.key');
  await writeFile(certFile, tls.cert);
  await writeFile(keyFile, tls.key, { mode: 0o600 });
  let seeded: DatabaseHandle | undefined;
  const ctx: BenchContext = {
    dbUrl, certFile, keyFile, cert: tls.cert, dataDir: dir,
    async seededDb() {
      if (!seeded) {
        seeded = await createDb({ databaseUrl: dbUrl, poolSize: 2 });
        await seedDemoData(seeded.db);
      }
      return seeded.db;
    },
  };
  const all = await benchmarks(ctx);
  const names = requested.length ? requested : Object.keys(all);
  const unknown = names.filter((n) => !all[n]);
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(all).join(', ')}`);

  const report: Record<string, unknown> = {};
  process.stdout.write(`bench: ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections, server on core 0${HAS_TASKSET ? '' : ' (taskset missing: unpinned)'}, load on core 1\n`);
  for (const name of names) {
    const b = all[name]!;
    if ('run' in b) {
      process.stdout.write(`\n${name}: ${b.describe}\n`);
      report[name] = await b.run(ctx);
      continue;
    }
    const url = `https://127.0.0.1:19443${b.path}`;
    const base: Sample[] = [];
    const subj: Sample[] = [];
    // Alternate, so drift on a shared machine hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      base.push(await measure(b.baseline, url));
      subj.push(await measure(b.subject, url));
    }
    const B = summarize(base);
    const S = summarize(subj);
    const row = (label: string, x: ReturnType<typeof summarize>) =>
      `  ${label.padEnd(26)} ${x.rps.toFixed(0).padStart(7)} req/s   p50 ${x.p50.toFixed(2).padStart(6)} ms   p99 ${x.p99.toFixed(2).padStart(6)} ms   server ${x.serverCpuUsPerReq.toFixed(0).padStart(4)} µs/req   postgres ${x.pgCpuUsPerReq.toFixed(0).padStart(4)} µs/req   errors ${x.errors}`;
    process.stdout.write(`\n${name}: ${b.describe}\n${row(b.baseline.name, B)}\n${row(b.subject.name, S)}\n`);
    process.stdout.write(`  ratio: throughput ${(S.rps / B.rps).toFixed(2)} × baseline, p99 ${(S.p99 / B.p99).toFixed(2)} × baseline\n`);
    report[name] = { baseline: { name: b.baseline.name, ...B, samples: base }, subject: { name: b.subject.name, ...S, samples: subj }, throughputRatio: S.rps / B.rps, p99Ratio: S.p99 / B.p99 };
  }
  const out = path.join(HERE, 'results');
  await mkdir(out, { recursive: true });
  const file = path.join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, report }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${path.relative(ROOT, file)}\n`);
  await seeded?.close();
  await rm(dir, { recursive: true, force: true });
}

/**
 * One bench at a time on this machine: every run drops and recreates the renkei_bench database and
 * binds ports 19443/19444, so a second run would break the first. Waits (up to 15 min) for a running
 * one, identified by the PID in the lock file; a stale lock (dead PID) is taken over.
 */
async function takeBenchLock(): Promise<void> {
  const lock = path.join(tmpdir(), 'renkei-bench.lock');
  const deadline = Date.now() + 15 * 60_000;
  for (let said = false; ; ) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      process.on('exit', () => {
        try {
          if (readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock);
        } catch {
          // already gone
        }
      });
      return;
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {
        // not running
      }
      if (!alive) {
        unlinkSync(lock);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another bench (PID ${holder}) still holds ${lock}`);
      if (!said) process.stdout.write(`bench: waiting for the bench running as PID ${holder}\n`);
      said = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
