import { createHash, createPublicKey } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch, request } from 'undici';
import type { Database } from '../../src/db/database.ts';
import { DEMO_USERS } from '../../src/db/seed/demo-data.ts';
import { DEMO_PINS } from '../../test/helpers/api-session.ts';
import type { AuthServer } from '../../test/helpers/auth-server.ts';
import { JourneyDriver } from '../../test/helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../test/helpers/oauth-client.ts';
import { startIpcServer, type IpcServer } from './ipc-server.ts';
import { generateEs256, jti, signEs256, type Es256Key } from './jws.ts';
import { median } from './load.ts';
import { runPoolLoad } from './pool-load.ts';
import { cpuSeconds, cpuSecondsOf } from './server-process.ts';

/**
 * `bench api`: renkei's resource API (DESIGN §8) with DPoP-bound tokens against PostgreSQL —
 * `GET /accounts/balances?accountId=…` and one ~100-line statement page — each beside a baseline
 * measured in the same run (bench/servers/bare-api.ts: bare Fastify + jose + the same SQL with pg).
 *
 * The subject is bench/servers/renkei-auth.ts (renkei composed exactly as src/server.ts composes it)
 * with API_RATE_LIMIT_PER_MINUTE raised out of the way. Tokens are real: one consent journey of demo
 * user 1000000002 with a DPoP key of this load generator, and a refresh before every subject sample
 * so the access token (10 minutes) never runs out. Every request carries its own DPoP proof (unique
 * jti, `ath` of the token, fresh `iat`), signed in bulk on this core before the sample starts.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOGIN_ID = '1000000002';
const ACCOUNT_ID = '101011000088'; // 法人営業部 普通 1000088, 代表口座

export interface ApiBenchContext {
  dbUrl: string;
  certFile: string;
  keyFile: string;
  cert: string;
  seededDb(): Promise<Kysely<Database>>;
}

interface Sample {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  duration: number;
  exhausted: boolean;
  serverCpuUsPerReq: number;
  pgCpuUsPerReq: number;
}


/** DPoP proof (RFC 9449 §4.2) for a resource request: with `ath`, the access token's hash (§4.3). */
function resourceProof(key: Es256Key, htu: string, ath: string, iat: number): string {
  return signEs256({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk }, { htm: 'GET', htu, jti: jti(), iat, ath }, key.privateKey);
}

/** One GET per unused proof: the DPoP-bound token with a fresh proof each time. */
function requestsWith(accessToken: string, proofs: string[]) {
  const authorization = `DPoP ${accessToken}`;
  return proofs.map((dpop) => ({ headers: { authorization, dpop, accept: 'application/json' } }));
}

export async function apiBenchmark(ctx: ApiBenchContext, renkeiEnv: Record<string, string>) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
  const maxProofs = Number(process.env.BENCH_MAX_PROOFS ?? 200_000);
  const profileDir = process.env.BENCH_CPU_PROF;
  if (seconds + warmupSeconds > 40) throw new Error('bench api: proofs live 60 s; keep BENCH_SECONDS ≤ 38');
  // BENCH_API_PORT: other ports than run.ts's 19443/19444 (with BENCH_DB_NAME, beside another bench).
  const port = Number(process.env.BENCH_API_PORT ?? new URL(renkeiEnv.PUBLIC_URL!).port);
  const issuer = `https://127.0.0.1:${port}`;
  const subjectEnv = {
    ...renkeiEnv, PORT: String(port), MTLS_PORT: String(port + 1), PUBLIC_URL: issuer, MTLS_PUBLIC_URL: `https://127.0.0.1:${port + 1}`,
    API_RATE_LIMIT_PER_MINUTE: '10000000',
  };
  const db = await ctx.seededDb();
  const pgBackends = new RegExp(` ${new URL(ctx.dbUrl).pathname.slice(1)} 127.0.0.1`);

  // ~100 statement lines: from the date of the 100th newest line of the account to its newest line.
  const account = await db.selectFrom('accounts').select('id').where('public_id', '=', ACCOUNT_ID).executeTakeFirstOrThrow();
  const newest = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', account.id).orderBy('item_key', 'desc').limit(1).executeTakeFirstOrThrow();
  const hundredth = await db.selectFrom('transactions').select('transaction_date').where('account_id', '=', account.id).orderBy('item_key', 'desc').offset(99).limit(1).executeTakeFirstOrThrow();
  const endpoints = [
    { name: 'balances', describe: `GET /api/v1/accounts/balances?accountId=${ACCOUNT_ID}`, path: `/api/v1/accounts/balances?accountId=${ACCOUNT_ID}` },
    { name: 'statement', describe: `GET /api/v1/accounts/transactions (${hundredth.transaction_date} … ${newest.transaction_date})`, path: `/api/v1/accounts/transactions?accountId=${ACCOUNT_ID}&dateFrom=${hundredth.transaction_date}&dateTo=${newest.transaction_date}` },
  ];

  // The client, the load generator's DPoP key, and one journey for the tokens.
  const tc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances', 'transactions'], showBusinessSelection: false });
  const dpopKey = generateEs256();
  const dpopPair = {
    privateKey: dpopKey.privateKey.toCryptoKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
    publicKey: createPublicKey(dpopKey.privateKey).toCryptoKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']),
  } as oauth.CryptoKeyPair;
  const agent = new Agent({ connect: { ca: ctx.cert } });
  const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  const auth = { issuer, fetch } as unknown as AuthServer;
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  let refreshToken = '';
  let accessToken = '';
  let c!: Awaited<ReturnType<typeof oauthClientFor>>;

  const startSubject = () => startIpcServer([process.execPath, path.join(HERE, '../servers/renkei-auth.ts')], subjectEnv);
  const startBaseline = () => startIpcServer([process.execPath, path.join(HERE, '../servers/bare-api.ts')], {
    TLS_CERT_FILE: ctx.certFile, TLS_KEY_FILE: ctx.keyFile, DATABASE_URL: ctx.dbUrl, DATABASE_POOL_SIZE: renkeiEnv.DATABASE_POOL_SIZE ?? '10', PORT: String(port), PUBLIC_URL: issuer,
  });

  {
    const server = await startSubject();
    try {
      c = await oauthClientFor(auth, tc);
      c.DPoP = oauth.DPoP(c.client, dpopPair);
      const { url, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access balances transactions');
      const b = new JourneyDriver(auth);
      await b.go('GET', url.toString());
      await b.post('login', { login_id: LOGIN_ID, password: DEMO_USERS.find((u) => u.loginId === LOGIN_ID)!.loginPassword });
      for (let guard = 0; guard < 4 && b.title === 'API連携認証（照会用暗証番号登録）'; guard++) {
        const accountId = b.values('account_id')[0]!;
        const number = new RegExp(`value="${accountId}"[\\s\\S]*?(\\d{7})</label>`).exec(b.html)?.[1];
        await b.post('pin', { account_id: accountId, pin: DEMO_PINS[number ?? '']! });
        if (b.html.includes('照会用暗証番号の追加登録')) await b.go('GET', `/interaction/${b.uid}`);
      }
      if (b.html.includes('/pin/confirm')) await b.post('pin/confirm', {});
      const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
      if (!callback) throw new Error(`bench api: the journey did not reach the client (${b.status} ${b.title})`);
      const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
      const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
        await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
      if (!tokens.refresh_token) throw new Error('bench api: no refresh token');
      refreshToken = tokens.refresh_token;
      accessToken = tokens.access_token;
    } finally {
      await server.stop();
    }
  }

  /** One request outside the load, checked: what both servers must answer alike. */
  const probe = async (url: string) => {
    const res = await request(url, { dispatcher: insecure, headers: {
      authorization: `DPoP ${accessToken}`, dpop: resourceProof(dpopKey, url.split('?')[0]!, createHash('sha256').update(accessToken).digest('base64url'), Math.floor(Date.now() / 1000)),
    } });
    const body = await res.body.json() as Record<string, unknown>;
    if (res.statusCode !== 200) throw new Error(`bench api: ${url} answered ${res.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
    const balances = body.balances as { balance: string }[] | undefined;
    return balances ? `balance ${balances[0]?.balance}` : `${body.count} lines, hasNext ${body.hasNext}`;
  };

  const measure = async (kind: 'subject' | 'baseline', endpoint: typeof endpoints[number], round: number): Promise<Sample & { check: string }> => {
    const server: IpcServer = kind === 'subject' ? await startSubject() : await startBaseline();
    try {
      if (kind === 'subject') {
        // A fresh access token for this sample (and the baseline sample after it): refresh, same DPoP key.
        const t = await oauth.processRefreshTokenResponse(c.as, c.client,
          await oauth.refreshTokenGrantRequest(c.as, c.client, c.clientAuth, refreshToken, { DPoP: c.DPoP, ...c.customFetch }));
        accessToken = t.access_token;
      }
      const url = `${issuer}${endpoint.path}`;
      const check = await probe(url);
      const htu = url.split('?')[0]!;
      const ath = createHash('sha256').update(accessToken).digest('base64url');
      const pool = (n: number) => {
        const iat = Math.floor(Date.now() / 1000);
        return Array.from({ length: n }, () => resourceProof(dpopKey, htu, ath, iat));
      };
      const warm = await runPoolLoad({ url, connections, seconds: warmupSeconds, method: 'GET', pool: requestsWith(accessToken, pool(Math.min(maxProofs, 40_000))), reserve: connections * 4 });
      const size = Math.min(maxProofs, Math.ceil(warm.rps * seconds * 1.5) + 5_000);
      const proofs = pool(size);
      if (profileDir) await server.call('profileStart');
      const cpu0 = cpuSeconds(server.pid);
      const pg0 = cpuSecondsOf(pgBackends);
      const r = await runPoolLoad({ url, connections, seconds, method: 'GET', pool: requestsWith(accessToken, proofs), reserve: connections * 4 });
      const cpu = cpuSeconds(server.pid) - cpu0;
      const pgCpu = cpuSecondsOf(pgBackends) - pg0;
      if (profileDir) await server.call('profileStop', { file: path.join(profileDir, `api-${endpoint.name}-${kind}-${round}.cpuprofile`) });
      const perReq = (s: number) => (r.requests ? (s * 1e6) / r.requests : NaN);
      return { ...r, serverCpuUsPerReq: perReq(cpu), pgCpuUsPerReq: perReq(pgCpu), check };
    } finally {
      await server.stop();
    }
  };

  const summarize = (xs: Sample[]) => ({
    rps: median(xs.map((s) => s.rps)), p50: median(xs.map((s) => s.p50)), p99: median(xs.map((s) => s.p99)),
    serverCpuUsPerReq: median(xs.map((s) => s.serverCpuUsPerReq)), pgCpuUsPerReq: median(xs.map((s) => s.pgCpuUsPerReq)),
    errors: xs.reduce((a, s) => a + s.errors + s.non2xx, 0), exhausted: xs.filter((s) => s.exhausted).length,
  });
  const row = (label: string, x: ReturnType<typeof summarize>) =>
    `  ${label.padEnd(30)} ${x.rps.toFixed(0).padStart(6)} req/s   p50 ${x.p50.toFixed(2).padStart(6)} ms   p99 ${x.p99.toFixed(2).padStart(6)} ms   `
    + `server ${x.serverCpuUsPerReq.toFixed(0).padStart(4)} µs/req   postgres ${x.pgCpuUsPerReq.toFixed(0).padStart(4)} µs/req   errors ${x.errors}${x.exhausted ? `   (proof pool ran low in ${x.exhausted})` : ''}`;

  const report: Record<string, unknown> = {};
  try {
    for (const endpoint of endpoints) {
      const subject: (Sample & { check: string })[] = [];
      const baseline: (Sample & { check: string })[] = [];
      for (let round = 0; round < rounds; round++) {
        // The subject first: its start refreshes the access token both then use.
        subject.push(await measure('subject', endpoint, round));
        baseline.push(await measure('baseline', endpoint, round));
      }
      if (subject[0]!.check !== baseline[0]!.check) throw new Error(`bench api: the servers disagree: ${subject[0]!.check} vs ${baseline[0]!.check}`);
      const S = summarize(subject);
      const B = summarize(baseline);
      const throughputRatio = S.rps / B.rps;
      const p99Ratio = S.p99 / B.p99;
      process.stdout.write(`\n  ${endpoint.describe}: ${subject[0]!.check} (${rounds} rounds × ${seconds} s, ${connections} connections, medians)\n`);
      process.stdout.write(`${row('bare Fastify + jose + pg', B)}\n${row('renkei (src/server.ts)', S)}\n`);
      process.stdout.write(`  ratio renkei/baseline: throughput ${throughputRatio.toFixed(2)} × (target ≥ 0.70: ${throughputRatio >= 0.7 ? 'met' : 'NOT met'}), `
        + `p99 ${p99Ratio.toFixed(2)} × (target ≤ 1.50: ${p99Ratio <= 1.5 ? 'met' : 'NOT met'})\n`);
      report[endpoint.name] = { describe: endpoint.describe, check: subject[0]!.check, baseline: { ...B, samples: baseline }, subject: { ...S, samples: subject }, throughputRatio, p99Ratio };
    }
  } finally {
    await agent.close();
    await insecure.close();
  }
  return report;
}
