import * as oauth from 'oauth4webapi';
import t from 'tap';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { dpopGet } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { testDatabaseUrl } from '../../helpers/database.ts';
import { instanceOn, secondPool, type Outage } from '../../helpers/db-relay.ts';
import { startJourney, USERS } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';
import { IbClient } from '../internet-banking/ib-client.ts';

// Nothing lost, never a 500 (DESIGN §11): while the path to PostgreSQL is cut, every surface answers
// 503 with Retry-After within 3 s, whether connections are reset (the server is gone) or packets are
// silently dropped (only timeouts can tell), and serves again once the path is back, without a restart.
// A TCP relay stands for the network path; the instance under test reaches the database only through it.

/** The outage bound the surfaces promise: an answer, a 503, within this time. */
const OUTAGE_ANSWER_MS = 3_000;
/** How long a surface may take to serve again after the path is restored (polled, not waited). */
const RECOVERY_LIMIT_MS = 15_000;

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

interface Surface {
  name: string;
  call(): Promise<Answer>;
  /** The answer while the database is there (0: whatever it answers then, below 500). */
  normal: number;
  /** What a 503 body of this surface must say. */
  outageBody: RegExp;
}

t.test('every surface answers 503 with Retry-After during a database outage and recovers', {
  skip: !testDatabaseUrl && 'PostgreSQL only (DATABASE_URL): PGlite runs in-process, there is no network path to cut',
}, async (t) => {
  const server = await startAuthServer(t);
  const pool = await secondPool(t, server.database.db, { relay: true });
  const other = await instanceOn(t, server, pool);
  const viaOther = { [oauth.customFetch]: other.fetch as unknown as typeof fetch };

  // Everything a partner and a customer hold before the outage: tokens, a pending journey, an IB session.
  const s = await apiSessionFor(server, USERS.master.loginId, USERS.master.password);
  const as = { ...s.c.as, token_endpoint: `${other.url}/oauth2/token`, pushed_authorization_request_endpoint: `${other.url}/oauth2/par` };
  const tc = await insertTestClient(server.database.db, { showBusinessSelection: false });
  const journey = await startJourney(server, tc);
  const interactionCookies = [...journey.b.jar].map(([name, c]) => `${name}=${c.value}`).join('; ');
  const ib = new IbClient(other.app);
  const login = await ib.login(USERS.hanako.loginId, USERS.hanako.password);
  t.equal(login.statusCode, 303, 'logged in to internet banking on the instance under test');
  const ibHome = login.headers.location as string;

  const answer = async (res: Response | import('undici').Response): Promise<Answer> =>
    ({ status: res.status, headers: res.headers as unknown as Headers, body: await res.text() });
  const surfaces: Surface[] = [
    { name: 'readyz', normal: 200, outageBody: /"errorCode":"service_unavailable"/, call: async () => answer(await other.fetch(`${other.url}/readyz`)) },
    {
      name: 'resource API', normal: 200, outageBody: /"errorCode":"service_unavailable"/,
      call: async () => {
        const r = await dpopGet(server, s, '/api/v1/accounts', { origin: other.url, via: other.fetch });
        return { status: r.status, headers: r.headers, body: r.text };
      },
    },
    {
      name: 'token (refresh)', normal: 200, outageBody: /"error":"temporarily_unavailable"/,
      call: async () => answer(await oauth.refreshTokenGrantRequest(as, s.c.client, s.c.clientAuth, s.tokens.refresh_token!, { DPoP: s.c.DPoP, ...viaOther })),
    },
    {
      name: 'PAR', normal: 201, outageBody: /"error":"temporarily_unavailable"/,
      call: async () => {
        const verifier = oauth.generateRandomCodeVerifier();
        const params = new URLSearchParams({
          redirect_uri: s.tc.redirectUri, scope: 'openid balances', response_type: 'code',
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        return answer(await oauth.pushedAuthorizationRequest(as, s.c.client, s.c.clientAuth, params, { DPoP: s.c.DPoP, ...viaOther }));
      },
    },
    {
      // Refused without PAR whatever happens: what matters is that the browser gets a page, then a 503 page.
      name: 'authorization endpoint (browser)', normal: 0, outageBody: /<html/i,
      call: async () => answer(await other.fetch(`${other.url}/oauth2/authorize?client_id=${s.tc.clientId}&response_type=code&scope=openid`, { headers: { accept: 'text/html' }, redirect: 'manual' })),
    },
    {
      name: 'journey page', normal: 200, outageBody: /<html/i,
      call: async () => answer(await other.fetch(`${other.url}/interaction/${journey.b.uid}`, { headers: { accept: 'text/html', cookie: interactionCookies } })),
    },
    {
      name: 'internet banking', normal: 200, outageBody: /<html/i,
      call: async () => {
        const r = await ib.get(ibHome);
        return { status: r.statusCode, headers: new Headers(r.headers as Record<string, string>), body: r.body };
      },
    },
  ];

  for (const surface of surfaces) {
    const { status } = await surface.call();
    surface.normal ||= status;
    t.ok(status === surface.normal && status < 500, `${surface.name}: ${status} through the relay`);
  }

  const figures: string[] = [];
  for (const outage of ['reset', 'blackhole'] as Outage[]) {
    await pool.down(outage);
    for (const surface of surfaces) {
      const started = performance.now();
      const res = await surface.call();
      const ms = Math.round(performance.now() - started);
      t.equal(res.status, 503, `${outage}: ${surface.name} answers 503`);
      t.equal(res.headers.get('retry-after'), '5', `${outage}: ${surface.name} says when to retry`);
      t.match(res.body, surface.outageBody, `${outage}: ${surface.name} in its own error format`);
      t.ok(ms < OUTAGE_ANSWER_MS, `${outage}: ${surface.name} answered within 3 s (${ms} ms)`);
      figures.push(`${outage}\t${surface.name}\t${res.status}\t${ms} ms`);
    }
    await pool.up();
    const upAt = performance.now();
    for (const surface of surfaces) {
      let status = (await surface.call()).status;
      // No connection the outage left behind is handed out again: the first request is served.
      t.equal(status, surface.normal, `${outage}: ${surface.name} served at the first request after the path is back`);
      while (status !== surface.normal && performance.now() - upAt < RECOVERY_LIMIT_MS) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await surface.call()).status;
      }
      const ms = Math.round(performance.now() - upAt);
      t.equal(status, surface.normal, `${outage}: ${surface.name} serves again after the path is back (${ms} ms after up)`);
      figures.push(`${outage}\t${surface.name}\trecovered\t${ms} ms after up`);
    }
  }
  t.notMatch(other.logs().join('\n'), /"statusCode":500/, 'nothing answered 500');
  t.comment(`outage figures (surface, status, time):\n${figures.join('\n')}`);
});
