import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEMO_ACCOUNTS, DEMO_USERS } from '../../src/db/seed/demo-data.ts';
import type { AuthServer } from '../../test/helpers/auth-server.ts';
import { JourneyDriver } from '../../test/helpers/journey-driver.ts';
import { insertTestClient, oauthClientFor, pushAuthorization } from '../../test/helpers/oauth-client.ts';
import { startIpcServer, type IpcServer } from './ipc-server.ts';
import type { TokenBenchContext } from './token-report.ts';
import { BENCH_LOGIN_ID } from './token-report.ts';
import { median } from './load.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Trace {
  method: string;
  path: string;
  status: number;
  ms: number;
  queries: number;
  /** With BENCH_VERBOSE=2: the statements the request sent. */
  sql?: string[];
}

export interface StepResult {
  step: string;
  /** HTTP requests the step made (redirects followed on the server's origin included). */
  requests: number;
  /** Sum of the server's time per request: from the request's arrival to the end of its response. */
  serverMs: number;
  /** Database round trips while the step ran (pg `query` calls, BEGIN/COMMIT included). */
  roundTrips: number;
  /** Of which inside a request's own time (the rest ran after the response, e.g. un-awaited writes). */
  inRequest: number;
  /** The step's wall time as the client saw it, on loopback. */
  wallMs: number;
  paths: string[];
}


/**
 * `bench journey`: the consent journey of DESIGN §6 over HTTPS against renkei (bench/servers/renkei-auth.ts
 * with BENCH_TRACE=1), driven like test/integration/interactions/journey.test.ts, one request at a time.
 * Two cases: `fresh` (the user's PIN registrations deleted first, so step 3 registers both accounts)
 * and `reuse` (registrations kept, step 3 skipped). Per step: requests, server time, round trips;
 * BENCH_VERBOSE=1 also lists each request of the first journey (server ms, round trips), =2 with the statements it sent.
 */
export async function journeyBenchmark(ctx: TokenBenchContext & { cert: string }, renkeiEnv: Record<string, string>) {
  const journeys = Number(process.env.BENCH_JOURNEYS ?? 5);
  const issuer = renkeiEnv.PUBLIC_URL!;
  const db = await ctx.seededDb();
  const tc = await insertTestClient(db);
  const user = await db.selectFrom('users').select('id').where('login_id', '=', BENCH_LOGIN_ID).executeTakeFirstOrThrow();
  const password = DEMO_USERS.find((u) => u.loginId === BENCH_LOGIN_ID)!.loginPassword;
  const accounts = await db.selectFrom('accounts').select(['id', 'account_number']).execute();
  const pinOf = new Map(accounts.map((a) => [a.id, DEMO_ACCOUNTS.find((d) => d.accountNumber === a.account_number)?.pin]));

  const server: IpcServer = await startIpcServer([process.execPath, path.join(HERE, '../servers/renkei-auth.ts')], {
    ...renkeiEnv, BENCH_TRACE: '1', ...(process.env.BENCH_VERBOSE === '2' ? { BENCH_TRACE_SQL: '1' } : {}),
    // Eleven logins of one user from one address in a minute: above the default throttle (10 per login ID),
    // which answers 429 long before the lockout would; the journeys measure the work of a login, not the limiter.
    LOGIN_THROTTLE_PER_ADDRESS: '1000', LOGIN_THROTTLE_PER_LOGIN_ID: '1000',
  });
  const agent = new Agent({ connect: { ca: ctx.cert } });
  try {
    const traces: Trace[] = [];
    server.onMessage((m) => {
      if (m.type === 'trace') traces.push(m as unknown as Trace);
    });
    const stats = async () => (await server.call<{ queries: number }>('stats')).queries;
    const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
    const auth = { issuer, fetch } as unknown as AuthServer;
    const c = await oauthClientFor(auth, tc); // discovery: not part of a journey

    const step = async (name: string, steps: StepResult[], fn: () => Promise<unknown>) => {
      const q0 = await stats();
      traces.length = 0;
      const t0 = performance.now();
      await fn();
      const wallMs = performance.now() - t0;
      // The control channel is ordered: this reply comes after every trace the step's requests sent.
      const q1 = await stats();
      const mine = traces.splice(0);
      steps.push({
        step: name, requests: mine.length, serverMs: mine.reduce((a, t) => a + t.ms, 0), roundTrips: q1 - q0,
        inRequest: mine.reduce((a, t) => a + t.queries, 0), wallMs, paths: mine.map((t) => `${t.method} ${t.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid').replace(/\/authorize\/[^/]+/, '/authorize/:uid')} ${t.status} ${t.ms.toFixed(1)} ms ${t.queries} q${(t.sql ?? []).map((q) => `\n          ${q.replace(/\s+/g, ' ').slice(0, 220)}`).join('')}`),
      });
    };

    const expectTitle = (b: JourneyDriver, title: string) => {
      if (b.title !== title) throw new Error(`journey: expected “${title}”, got “${b.title}” (${b.status} ${b.url})`);
    };

    const runJourney = async (fresh: boolean): Promise<StepResult[]> => {
      if (fresh) await db.deleteFrom('pin_registrations').where('user_id', '=', user.id).execute();
      const steps: StepResult[] = [];
      const b = new JourneyDriver(auth);
      let par!: Awaited<ReturnType<typeof pushAuthorization>>;
      let callback: URL | undefined;
      await step('PAR', steps, async () => { par = await pushAuthorization(c, tc, 'openid offline_access balances transactions'); });
      await step('authorize -> login page', steps, () => b.go('GET', par.url.toString()));
      expectTitle(b, 'API連携認証（利用登録）');
      await step('1 login', steps, () => b.post('login', { login_id: BENCH_LOGIN_ID, password }));
      expectTitle(b, 'API連携認証（認可業務選択）');
      await step('2 business selection', steps, () => b.post('business', { scope: ['balances'] }));
      if (fresh) {
        expectTitle(b, 'API連携認証（照会用暗証番号登録）');
        await step('3 PIN, 1st account', steps, () => b.post('pin', { account_id: b.values('account_id')[0]!, pin: pinOf.get(b.values('account_id')[0]!)! }));
        expectTitle(b, 'API連携認証（照会用暗証番号登録結果）');
        await step('3 add another + PIN, 2nd account', steps, async () => {
          await b.go('GET', `/interaction/${b.uid}`);
          await b.post('pin', { account_id: b.values('account_id')[0]!, pin: pinOf.get(b.values('account_id')[0]!)! });
        });
        expectTitle(b, 'API連携認証（照会用暗証番号登録結果）');
        await step('4 result: confirm', steps, () => b.post('pin/confirm', {}));
      }
      expectTitle(b, 'API連携認証（情報アクセス許可）');
      await step('5 permission: allow -> code', steps, async () => { callback = await b.post('consent', { decision: 'allow', continue: 'on' }); });
      if (!callback?.searchParams.get('code')) throw new Error(`journey: no code at the end (${b.status} ${b.url})`);
      await step('token (code exchange; not in the total)', steps, async () => {
        const params = oauth.validateAuthResponse(c.as, c.client, callback!, oauth.expectNoState);
        const res = await oauth.authorizationCodeGrantRequest(c.as, c.client, c.clientAuth, params, tc.redirectUri, par.codeVerifier, { DPoP: c.DPoP, ...c.customFetch });
        await oauth.processAuthorizationCodeResponse(c.as, c.client, res, { requireIdToken: true });
      });
      return steps;
    };

    // One untimed journey first (JIT, pool connections, Eta's template cache), then alternate the cases.
    await runJourney(true);
    const results: Record<'fresh' | 'reuse', StepResult[][]> = { fresh: [], reuse: [] };
    for (let i = 0; i < journeys; i++) {
      results.fresh.push(await runJourney(true));
      results.reuse.push(await runJourney(false));
    }

    const report: Record<string, unknown> = {};
    for (const kind of ['fresh', 'reuse'] as const) {
      const runs = results[kind];
      const names = runs[0]!.map((s) => s.step);
      const perStep = names.map((name, i) => ({
        step: name,
        requests: runs[0]![i]!.requests,
        paths: runs[0]![i]!.paths,
        serverMs: median(runs.map((r) => r[i]!.serverMs)),
        roundTrips: median(runs.map((r) => r[i]!.roundTrips)),
        inRequest: median(runs.map((r) => r[i]!.inRequest)),
        wallMs: median(runs.map((r) => r[i]!.wallMs)),
      }));
      const inTotal = (r: StepResult[]) => r.filter((s) => !s.step.startsWith('token'));
      const total = {
        requests: inTotal(runs[0]!).reduce((a, s) => a + s.requests, 0),
        serverMs: median(runs.map((r) => inTotal(r).reduce((a, s) => a + s.serverMs, 0))),
        roundTrips: median(runs.map((r) => inTotal(r).reduce((a, s) => a + s.roundTrips, 0))),
        wallMs: median(runs.map((r) => inTotal(r).reduce((a, s) => a + s.wallMs, 0))),
      };
      process.stdout.write(`\n  case ${kind === 'fresh' ? 'fresh: PIN registrations deleted first, step 3 registers both accounts' : 'reuse: PINs already registered, steps 3–4 skipped'} (median of ${runs.length} journeys)\n`);
      process.stdout.write(`  ${'step'.padEnd(40)} ${'requests'.padStart(8)} ${'server ms'.padStart(10)} ${'db round trips'.padStart(15)} ${'(in request)'.padStart(12)} ${'wall ms'.padStart(9)}\n`);
      for (const s of perStep) {
        process.stdout.write(`  ${s.step.padEnd(40)} ${String(s.requests).padStart(8)} ${s.serverMs.toFixed(1).padStart(10)} ${String(s.roundTrips).padStart(15)} ${String(s.inRequest).padStart(12)} ${s.wallMs.toFixed(1).padStart(9)}\n`);
        if (process.env.BENCH_VERBOSE) for (const p of s.paths) process.stdout.write(`      ${p}\n`);
      }
      process.stdout.write(`  ${'total, PAR through code'.padEnd(40)} ${String(total.requests).padStart(8)} ${total.serverMs.toFixed(1).padStart(10)} ${String(total.roundTrips).padStart(15)} ${''.padStart(12)} ${total.wallMs.toFixed(1).padStart(9)}\n`);
      report[kind] = { perStep, total, journeys: runs };
    }
    return report;
  } finally {
    await agent.close();
    await server.stop();
  }
}
