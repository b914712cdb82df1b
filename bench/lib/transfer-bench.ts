import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';
import { Agent, request } from 'undici';
import { jstDate } from '../../src/shared/jst.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../test/helpers/oauth-client.ts';
import { startIpcServer, type IpcServer } from './ipc-server.ts';
import { loadGeneratorClient, walkConsentJourney } from './load-generator-client.ts';
import { jti, signEs256, type Es256Key } from './jws.ts';
import { median } from './load.ts';
import { runPoolLoad, type PooledRequest, type ServerSample } from './pool-load.ts';
import type { ApiBenchContext } from './api-bench.ts';
import { cpuSeconds, cpuSecondsOf } from './server-process.ts';

/**
 * `bench transfer`: renkei's 振込依頼 `POST /api/v1/transfer/request` (DESIGN §17) with DPoP-bound tokens
 * against PostgreSQL, beside a baseline measured in the same run (bench/servers/bare-transfer.ts: bare
 * Fastify + jose + pg doing the same authentication, reads and inserts). Every request is a new
 * application (1 yen to 青空 花子 from 青空商事's 1000088, pending approval) with its own Idempotency-Key
 * and DPoP proof (unique jti, `ath`, fresh `iat`), signed in bulk before the sample. Loopback only
 * (runPoolLoad refuses anything else); each sample bounded by BENCH_SECONDS.
 *
 * The subject is bench/servers/renkei-auth.ts (renkei as src/server.ts composes it) with the API rate
 * limit raised out of the way; the token comes from one real consent journey of user 2 (振込・振替 on
 * 1000088), refreshed before each subject sample. BENCH_CPU_PROF=dir writes a V8 profile of each measured
 * sample (`node bench/lib/profile-summary.ts dir`).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOGIN_ID = '1000000003';
const ACCOUNT_ID = '101011000088';
const PATH = '/api/v1/transfer/request';

type Sample = ServerSample;

const body = JSON.stringify({
  accountId: ACCOUNT_ID, transferDesignatedDate: jstDate(),
  transfers: [{ itemId: '1', transferAmount: '1', beneficiaryBankCode: '0310', beneficiaryBranchCode: '100', accountTypeCode: '1', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ' }],
});

function proof(key: Es256Key, htu: string, ath: string, iat: number): string {
  return signEs256({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk }, { htm: 'POST', htu, jti: jti(), iat, ath }, key.privateKey);
}

export async function transferBenchmark(ctx: ApiBenchContext, renkeiEnv: Record<string, string>) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
  const maxProofs = Number(process.env.BENCH_MAX_PROOFS ?? 100_000);
  const profileDir = process.env.BENCH_CPU_PROF;
  if (seconds + warmupSeconds > 40) throw new Error('bench transfer: proofs live 60 s; keep BENCH_SECONDS ≤ 38');
  const port = Number(process.env.BENCH_API_PORT ?? new URL(renkeiEnv.PUBLIC_URL!).port);
  const issuer = `https://127.0.0.1:${port}`;
  const subjectEnv = {
    ...renkeiEnv, PORT: String(port), MTLS_PORT: String(port + 1), PUBLIC_URL: issuer, MTLS_PUBLIC_URL: `https://127.0.0.1:${port + 1}`,
    API_RATE_LIMIT_PER_MINUTE: '10000000',
  };
  const db = await ctx.seededDb();
  const pgBackends = new RegExp(` ${new URL(ctx.dbUrl).pathname.slice(1)} 127.0.0.1`);

  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'transfers'], showBusinessSelection: false });
  const { dpopKey, dpopPair, agent, auth } = loadGeneratorClient(issuer, ctx.cert);
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  let refreshToken = '';
  let accessToken = '';
  let c!: Awaited<ReturnType<typeof oauthClientFor>>;

  const startSubject = () => startIpcServer([process.execPath, path.join(HERE, '../servers/renkei-auth.ts')], subjectEnv);
  const startBaseline = () => startIpcServer([process.execPath, path.join(HERE, '../servers/bare-transfer.ts')], {
    TLS_CERT_FILE: ctx.certFile, TLS_KEY_FILE: ctx.keyFile, DATABASE_URL: ctx.dbUrl, DATABASE_POOL_SIZE: renkeiEnv.DATABASE_POOL_SIZE ?? '10', PORT: String(port), PUBLIC_URL: issuer,
  });

  {
    const server = await startSubject();
    try {
      c = await oauthClientFor(auth, tc);
      c.DPoP = oauth.DPoP(c.client, dpopPair);
      const { url, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access transfers');
      const callback = await walkConsentJourney(auth, url, LOGIN_ID);
      const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
      const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
        await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
      if (!tokens.refresh_token) throw new Error('bench transfer: no refresh token');
      refreshToken = tokens.refresh_token;
      accessToken = tokens.access_token;
    } finally {
      await server.stop();
    }
  }

  const ath = () => createHash('sha256').update(accessToken).digest('base64url');
  const entries = (n: number): PooledRequest[] => {
    const iat = Math.floor(Date.now() / 1000);
    const htu = `${issuer}${PATH}`;
    const a = ath();
    return Array.from({ length: n }, () => ({
      body,
      headers: { authorization: `DPoP ${accessToken}`, dpop: proof(dpopKey, htu, a, iat), accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    }));
  };

  /** One request outside the load, checked: both servers must accept the application alike. */
  const probe = async (url: string) => {
    const [entry] = entries(1);
    const res = await request(url, { method: 'POST', dispatcher: insecure, headers: entry!.headers, body: entry!.body });
    const answer = await res.body.json() as Record<string, unknown>;
    if (res.statusCode !== 201 || answer.resultCode !== '2' || !/^\d{16}$/.test(String(answer.applyNo))) {
      throw new Error(`bench transfer: ${url} answered ${res.statusCode} ${JSON.stringify(answer).slice(0, 300)}`);
    }
    return `201 resultCode ${String(answer.resultCode)}`;
  };

  const measure = async (kind: 'subject' | 'baseline', round: number): Promise<Sample & { check: string; created: number }> => {
    const server: IpcServer = kind === 'subject' ? await startSubject() : await startBaseline();
    try {
      if (kind === 'subject') {
        const t = await oauth.processRefreshTokenResponse(c.as, c.client,
          await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, refreshToken, { DPoP: c.DPoP, ...c.customFetch }));
        accessToken = t.access_token;
      }
      const url = `${issuer}${PATH}`;
      const check = await probe(url);
      const warm = await runPoolLoad({ url, connections, seconds: warmupSeconds, method: 'POST', pool: entries(Math.min(maxProofs, 20_000)), reserve: connections * 4 });
      const size = Math.min(maxProofs, Math.ceil(warm.rps * seconds * 1.5) + 3_000);
      const pool = entries(size);
      const before = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      if (profileDir) await server.call('profileStart');
      const cpu0 = cpuSeconds(server.pid);
      const pg0 = cpuSecondsOf(pgBackends);
      const r = await runPoolLoad({ url, connections, seconds, method: 'POST', pool, reserve: connections * 4 });
      const cpu = cpuSeconds(server.pid) - cpu0;
      const pgCpu = cpuSecondsOf(pgBackends) - pg0;
      if (profileDir) await server.call('profileStop', { file: path.join(profileDir, `transfer-${kind}-${round}.cpuprofile`) });
      const after = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      const perReq = (s: number) => (r.requests ? (s * 1e6) / r.requests : NaN);
      process.stdout.write(`    ${kind} round ${round + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms, statuses ${JSON.stringify(r.statusCodes)}\n`);
      return { ...r, serverCpuUsPerReq: perReq(cpu), pgCpuUsPerReq: perReq(pgCpu), check, created: Number(after.n) - Number(before.n) };
    } finally {
      await server.stop();
    }
  };

  const summarize = (xs: (Sample & { created: number })[]) => ({
    rps: median(xs.map((s) => s.rps)), p50: median(xs.map((s) => s.p50)), p99: median(xs.map((s) => s.p99)),
    serverCpuUsPerReq: median(xs.map((s) => s.serverCpuUsPerReq)), pgCpuUsPerReq: median(xs.map((s) => s.pgCpuUsPerReq)),
    errors: xs.reduce((a, s) => a + s.errors + s.non2xx, 0), exhausted: xs.filter((s) => s.exhausted).length,
    created: xs.reduce((a, s) => a + s.created, 0), requests: xs.reduce((a, s) => a + s.requests, 0),
  });
  const row = (label: string, x: ReturnType<typeof summarize>) =>
    `  ${label.padEnd(30)} ${x.rps.toFixed(0).padStart(6)} req/s   p50 ${x.p50.toFixed(2).padStart(6)} ms   p99 ${x.p99.toFixed(2).padStart(6)} ms   `
    + `server ${x.serverCpuUsPerReq.toFixed(0).padStart(4)} µs/req   postgres ${x.pgCpuUsPerReq.toFixed(0).padStart(4)} µs/req   errors ${x.errors}   applications ${x.created}/${x.requests}`;

  try {
    const subject: (Sample & { check: string; created: number })[] = [];
    const baseline: (Sample & { check: string; created: number })[] = [];
    for (let round = 0; round < rounds; round++) {
      subject.push(await measure('subject', round));
      baseline.push(await measure('baseline', round));
    }
    const S = summarize(subject);
    const B = summarize(baseline);
    const throughputRatio = S.rps / B.rps;
    const p99Ratio = S.p99 / B.p99;
    process.stdout.write(`\n  POST ${PATH} (1 item, Idempotency-Key, DPoP): ${subject[0]!.check} (${rounds} rounds × ${seconds} s, ${connections} connections, medians)\n`);
    process.stdout.write(`${row('bare Fastify + jose + pg', B)}\n${row('renkei (src/server.ts)', S)}\n`);
    process.stdout.write(`  ratio renkei/baseline: throughput ${throughputRatio.toFixed(2)} ×, p99 ${p99Ratio.toFixed(2)} ×\n`);
    return { path: PATH, check: subject[0]!.check, baseline: { ...B, samples: baseline }, subject: { ...S, samples: subject }, throughputRatio, p99Ratio };
  } finally {
    await agent.close();
    await insecure.close();
  }
}
