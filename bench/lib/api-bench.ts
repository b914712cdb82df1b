import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../test/helpers/oauth-client.ts';
import { startIpcServer, type IpcServer } from './ipc-server.ts';
import { loadGeneratorClient, walkConsentJourney } from './load-generator-client.ts';
import { jti, signEs256, type Es256Key } from './jws.ts';
import { median, runLoad } from './load.ts';
import { runPoolLoad, type ServerSample } from './pool-load.ts';
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
 *
 * Beside them, certificate-bound calls (RFC 8705 §3): a second client (private_key_jwt with
 * `tls_client_certificate_bound_access_tokens`) whose tokens are bound to this load generator's TLS
 * client certificate, sent as Bearer to the mutual-TLS listener of both servers (the baseline checks
 * `cnf.x5t#S256` against the connection's certificate instead of a DPoP proof). Connections are kept
 * alive, so the handshake cost is spread over a sample, as it is for a partner's connection pool.
 *
 * renkei sends its hot-path queries as named statements (src/db/prepared-query.ts), and so does the
 * baseline (BARE_NAMED=1): neither pays PostgreSQL's parse and plan per call. The DPoP samples also
 * run the first baseline, with unnamed statements, for comparison with the issue's first figures.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ACCOUNT_ID = '101011000088'; // 法人営業部 普通 1000088, 代表口座

export interface ApiBenchContext {
  dbUrl: string;
  certFile: string;
  keyFile: string;
  cert: string;
  seededDb(): Promise<Kysely<Database>>;
}

type Sample = ServerSample;


/** DPoP proof (RFC 9449 §4.2) for a resource request: with `ath`, the access token's hash (§4.3). */
export function resourceProof(key: Es256Key, htu: string, ath: string, iat: number): string {
  return signEs256({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk }, { htm: 'GET', htu, jti: jti(), iat, ath }, key.privateKey);
}

/** One GET per unused proof: the DPoP-bound token with a fresh proof each time. */
export function requestsWith(accessToken: string, proofs: string[]) {
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
  const { dpopKey, dpopPair, agent, auth } = loadGeneratorClient(issuer, ctx.cert);
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  let refreshToken = '';
  let accessToken = '';
  let c!: Awaited<ReturnType<typeof oauthClientFor>>;

  const startSubject = () => startIpcServer([process.execPath, path.join(HERE, '../servers/renkei-auth.ts')], subjectEnv);
  // The baseline prepares its statements as renkei does; `unnamed` is the first baseline (parse and plan per call).
  const startBaseline = (unnamed = false) => startIpcServer([process.execPath, path.join(HERE, '../servers/bare-api.ts')], {
    TLS_CERT_FILE: ctx.certFile, TLS_KEY_FILE: ctx.keyFile, DATABASE_URL: ctx.dbUrl, DATABASE_POOL_SIZE: renkeiEnv.DATABASE_POOL_SIZE ?? '10', PORT: String(port), PUBLIC_URL: issuer,
    MTLS_PORT: String(port + 1), ...(unnamed ? {} : { BARE_NAMED: '1' }),
  });
  const mtlsOrigin = `https://127.0.0.1:${port + 1}`;

  // The certificate-bound client, and this load generator's client certificate its tokens bind to.
  const mtc = await insertTestClient(db, { scopes: ['openid', 'offline_access', 'balances', 'transactions'], showBusinessSelection: false });
  await db.updateTable('oauth_clients').set({ metadata: sql`metadata || ${JSON.stringify({ tls_client_certificate_bound_access_tokens: true })}::jsonb` })
    .where('client_id', '=', mtc.clientId).execute();
  const clientCertificate = await generateSelfSigned(['bench-load-generator']);
  const certAgent = new Agent({ connect: { ca: ctx.cert, cert: clientCertificate.cert, key: clientCertificate.key } });
  const certFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher: certAgent })) as typeof undiciFetch;
  const certCustomFetch = { [oauth.customFetch]: certFetch as unknown as typeof globalThis.fetch };
  const mClient: oauth.Client = { client_id: mtc.clientId, use_mtls_endpoint_aliases: true };
  const mAuth = oauth.PrivateKeyJwt({ key: mtc.privateKey, kid: mtc.kid });
  let mRefreshToken = '';
  let mAccessToken = '';

  const walkJourney = (url: URL) => walkConsentJourney(auth, url);

  {
    const server = await startSubject();
    try {
      c = await oauthClientFor(auth, tc);
      c.DPoP = oauth.DPoP(c.client, dpopPair);
      const { url, codeVerifier } = await pushAuthorization(c, tc, 'openid offline_access balances transactions');
      const callback = await walkJourney(url);
      const params = oauth.validateAuthResponse(c.as, c.client, callback, oauth.expectNoState);
      const tokens = await oauth.processAuthorizationCodeResponse(c.as, c.client,
        await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, codeVerifier, { DPoP: c.DPoP, ...c.customFetch }));
      if (!tokens.refresh_token) throw new Error('bench api: no refresh token');
      refreshToken = tokens.refresh_token;
      accessToken = tokens.access_token;

      // The certificate-bound client: PAR and the code exchange on the mutual-TLS aliases, presenting the certificate.
      const mVerifier = oauth.generateRandomCodeVerifier();
      const par = await oauth.processPushedAuthorizationResponse(c.as, mClient, await oauth.pushedAuthorizationRequest(c.as, mClient, mAuth, new URLSearchParams({
        redirect_uri: mtc.redirectUri, scope: 'openid offline_access balances transactions', response_type: 'code',
        code_challenge: await oauth.calculatePKCECodeChallenge(mVerifier), code_challenge_method: 'S256',
      }), certCustomFetch));
      const mUrl = new URL(c.as.authorization_endpoint!);
      mUrl.searchParams.set('client_id', mtc.clientId);
      mUrl.searchParams.set('request_uri', par.request_uri);
      const mParams = oauth.validateAuthResponse(c.as, mClient, await walkJourney(mUrl), oauth.expectNoState);
      const mTokens = await oauth.processAuthorizationCodeResponse(c.as, mClient,
        await oauth.authorizationCodeGrantRequest(c.as, mClient, mAuth, mParams, mtc.redirectUri, mVerifier, certCustomFetch));
      if (!mTokens.refresh_token || !(mTokens as { access_token: string }).access_token) throw new Error('bench api: no certificate-bound tokens');
      mRefreshToken = mTokens.refresh_token;
      mAccessToken = mTokens.access_token;
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

  const measure = async (kind: 'subject' | 'baseline' | 'unnamed', endpoint: typeof endpoints[number], round: number): Promise<Sample & { check: string }> => {
    const server: IpcServer = kind === 'subject' ? await startSubject() : await startBaseline(kind === 'unnamed');
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

  /**
   * A certificate-bound sample: the same GET as Bearer on the mutual-TLS listener, every connection
   * presenting the load generator's certificate. No per-request proof, so a plain constant request.
   */
  const measureCertificateBound = async (kind: 'subject' | 'baseline', endpoint: typeof endpoints[number]): Promise<Sample & { check: string }> => {
    const server: IpcServer = kind === 'subject' ? await startSubject() : await startBaseline();
    try {
      if (kind === 'subject') {
        // A fresh token for this sample and the baseline's after it: refreshed on the token alias with the certificate.
        const t = await oauth.processRefreshTokenResponse(c.as, mClient, await oauth.refreshTokenGrantRequest(c.as, mClient, mAuth, mRefreshToken, certCustomFetch));
        mAccessToken = t.access_token;
      }
      const url = `${mtlsOrigin}${endpoint.path}`;
      const headers = { authorization: `Bearer ${mAccessToken}`, accept: 'application/json' };
      const res = await certFetch(url, { headers });
      const body = await res.json() as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`bench api: ${url} answered ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      const balances = body.balances as { balance: string }[] | undefined;
      const check = balances ? `balance ${balances[0]?.balance}` : `${body.count} lines, hasNext ${body.hasNext}`;
      const load = { url, connections, headers, clientCertificate };
      await runLoad({ ...load, seconds: warmupSeconds });
      if (profileDir) await server.call('profileStart');
      const cpu0 = cpuSeconds(server.pid);
      const pg0 = cpuSecondsOf(pgBackends);
      const r = await runLoad({ ...load, seconds });
      const cpu = cpuSeconds(server.pid) - cpu0;
      const pgCpu = cpuSecondsOf(pgBackends) - pg0;
      if (profileDir) await server.call('profileStop', { file: path.join(profileDir, `api-${endpoint.name}-mtls-${kind}.cpuprofile`) });
      const perReq = (x: number) => (r.requests ? (x * 1e6) / r.requests : NaN);
      return { ...r, duration: seconds, exhausted: false, serverCpuUsPerReq: perReq(cpu), pgCpuUsPerReq: perReq(pgCpu), check };
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
      const unnamed: (Sample & { check: string })[] = [];
      for (let round = 0; round < rounds; round++) {
        // The subject first: its start refreshes the access token the others then use.
        subject.push(await measure('subject', endpoint, round));
        baseline.push(await measure('baseline', endpoint, round));
        unnamed.push(await measure('unnamed', endpoint, round));
      }
      if (subject[0]!.check !== baseline[0]!.check) throw new Error(`bench api: the servers disagree: ${subject[0]!.check} vs ${baseline[0]!.check}`);
      const S = summarize(subject);
      const B = summarize(baseline);
      const throughputRatio = S.rps / B.rps;
      const p99Ratio = S.p99 / B.p99;
      process.stdout.write(`\n  ${endpoint.describe}: ${subject[0]!.check} (${rounds} rounds × ${seconds} s, ${connections} connections, medians)\n`);
      const U = summarize(unnamed);
      process.stdout.write(`${row('bare, unnamed statements', U)}\n${row('bare Fastify + jose + pg', B)}\n${row('renkei (src/server.ts)', S)}\n`);
      process.stdout.write(`  ratio renkei/unnamed-statement baseline (the issue's first one): throughput ${(S.rps / U.rps).toFixed(2)} ×, p99 ${(S.p99 / U.p99).toFixed(2)} ×\n`);
      process.stdout.write(`  ratio renkei/baseline: throughput ${throughputRatio.toFixed(2)} × (target ≥ 0.90: ${throughputRatio >= 0.9 ? 'met' : 'NOT met'}), `
        + `p99 ${p99Ratio.toFixed(2)} × (target ≤ 1.30: ${p99Ratio <= 1.3 ? 'met' : 'NOT met'})\n`);
      report[endpoint.name] = { describe: endpoint.describe, check: subject[0]!.check, baseline: { ...B, samples: baseline }, unnamedBaseline: { ...U, samples: unnamed }, subject: { ...S, samples: subject }, throughputRatio, p99Ratio };

      // The same endpoint with certificate-bound tokens (RFC 8705) on the mutual-TLS listeners.
      const mSubject: (Sample & { check: string })[] = [];
      const mBaseline: (Sample & { check: string })[] = [];
      for (let round = 0; round < rounds; round++) {
        mSubject.push(await measureCertificateBound('subject', endpoint));
        mBaseline.push(await measureCertificateBound('baseline', endpoint));
      }
      if (mSubject[0]!.check !== mBaseline[0]!.check) throw new Error(`bench api: the servers disagree over mTLS: ${mSubject[0]!.check} vs ${mBaseline[0]!.check}`);
      const MS = summarize(mSubject);
      const MB = summarize(mBaseline);
      const mThroughputRatio = MS.rps / MB.rps;
      const mP99Ratio = MS.p99 / MB.p99;
      process.stdout.write(`  certificate-bound (RFC 8705), Bearer over mutual TLS: ${mSubject[0]!.check}\n`);
      process.stdout.write(`${row('bare Fastify + jose + pg, mTLS', MB)}\n${row('renkei (src/server.ts), mTLS', MS)}\n`);
      process.stdout.write(`  ratio renkei/baseline (mTLS): throughput ${mThroughputRatio.toFixed(2)} × (target ≥ 0.90: ${mThroughputRatio >= 0.9 ? 'met' : 'NOT met'}), `
        + `p99 ${mP99Ratio.toFixed(2)} × (target ≤ 1.30: ${mP99Ratio <= 1.3 ? 'met' : 'NOT met'}); renkei mTLS/DPoP throughput ${(MS.rps / S.rps).toFixed(2)} ×\n`);
      report[`${endpoint.name}CertificateBound`] = {
        describe: `${endpoint.describe}, certificate-bound over mutual TLS`, check: mSubject[0]!.check,
        baseline: { ...MB, samples: mBaseline }, subject: { ...MS, samples: mSubject }, throughputRatio: mThroughputRatio, p99Ratio: mP99Ratio, versusDpop: MS.rps / S.rps,
      };
    }
  } finally {
    await agent.close();
    await insecure.close();
    await certAgent.close();
  }
  return report;
}
