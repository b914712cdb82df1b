import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyRequest } from 'fastify';
import { createLocalJWKSet, type JWK } from 'jose';
import { Refused, verifyAccessToken, verifyDpopCall } from './bare-dpop.ts';
import pg from 'pg';
import { serveIpc } from '../lib/ipc-server.ts';

/**
 * Baseline for `bench api`: the unavoidable work of renkei's resource API and nothing else — TLS,
 * HTTP routing, one access-token JWT verified with jose (same keys and options as
 * src/resource-api/access-token.ts), one DPoP proof verified with jose's EmbeddedJWK and the same
 * checks as src/resource-api/dpop.ts (typ, alg, public jwk, htm, htu, iat, ath, jkt, jti recorded in
 * PostgreSQL), then the same SQL statements renkei runs for the endpoint (captured from a run with
 * the pg driver's queries logged), sent with pg directly (named statements with BARE_NAMED=1, as renkei sends its hot ones),
 * and a JSON answer with the same fields. No logging, no rate limit, no schemas, no security headers.
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const origin = process.env.PUBLIC_URL!;
const keys = createLocalJWKSet({ keys: (await pool.query<{ public_jwk: JWK }>('select public_jwk from signing_keys')).rows.map((r) => r.public_jwk) });

const SQL_JTI = 'insert into "dpop_proof_jtis" ("key", "expires_at") values ($1, now() + make_interval(secs => $2)) on conflict ("key") do nothing returning "key"';
const SQL_GRANT = 'select "g"."id", "g"."user_id", "g"."client_id", "c"."kind", g.revoked_at is null and g.expires_at > now() as "active", u.status = \'active\' and u.deleted_at is null as "user_active" from "grants" as "g" inner join "users" as "u" on "u"."id" = "g"."user_id" inner join "customers" as "c" on "c"."id" = "u"."customer_id" where "g"."oidc_grant_id" = $1';
const ACCESSIBLE = 'from "grant_accounts" as "ga" inner join "accounts" as "a" on "a"."id" = "ga"."account_id" inner join "users" as "u" on "u"."id" = $U inner join "pin_registrations" as "p" on "p"."account_id" = "a"."id" and "p"."user_id" = "u"."id" left join "groups" as "g" on "g"."id" = "u"."group_id" left join "group_account_rights" as "r" on "r"."group_id" = "u"."group_id" and "r"."account_id" = "a"."id"';
const VISIBLE = '("u"."role" = $R0 or ("a"."account_type_code" = $R1 and "r"."inquiry" = $R2) or ("a"."account_type_code" = $R3 and "g"."time_deposit_inquiry" = $R4) or ("a"."account_type_code" = $R5 and "g"."fx_inquiry" = $R6))';
const visible = (first: number) => VISIBLE.replace(/\$R(\d)/g, (_m, i: string) => `$${first + Number(i)}`);
const VISIBLE_PARAMS = ['master', '01', true, '11', true, '51', true];
const SQL_RATE = 'left join lateral (\n      select er.ttb, er.published_at from exchange_rates er\n      where er.currency = a.currency and er.published_at <= $4 order by er.published_at desc limit 1) as "rate" on true';
const SQL_BALANCES = `select "a"."public_id", "a"."account_type_code", "a"."currency", "a"."balance", "a"."withdrawable_amount", a.balance - coalesce(sum(case when t.transaction_type = 1 then t.amount else -t.amount end) filter (where t.transaction_date >= $1::date), 0) as "previous_day_balance", a.balance - coalesce(sum(case when t.transaction_type = 1 then t.amount else -t.amount end), 0) as "previous_month_balance", rate.ttb as "ttb", rate.published_at as "rate_published_at", trunc(a.balance * rate.ttb) as "yen_equivalent" ${ACCESSIBLE.replace('$U', '$2')} left join "transactions" as "t" on "t"."account_id" = "a"."id" and "t"."transaction_date" >= $3 ${SQL_RATE} where "ga"."grant_id" = $5 and ${visible(6)} and "a"."public_id" = $13 group by "a"."id", "a"."public_id", "a"."account_type_code", "a"."currency", "a"."balance", "a"."withdrawable_amount", "a"."is_primary", "a"."account_number", rate.ttb, rate.published_at order by "a"."is_primary" desc, "a"."account_type_code", "a"."account_number"`;
const SQL_ACCOUNT = `select "a"."id", "a"."public_id", "a"."currency" ${ACCESSIBLE.replace('$U', '$1')} where "ga"."grant_id" = $2 and ${visible(3)} and "a"."public_id" = $10`;
const SQL_PAGE = 'select "item_key", "transaction_date", "value_date", "transaction_type", "amount", "balance_after", "remarks" from "transactions" where "account_id" = $1 and "transaction_date" >= $2 and "transaction_date" <= $3 order by "item_key" limit $4';

/**
 * BARE_NAMED=1: every statement sent as a named (prepared) statement, as renkei sends its hot ones
 * (src/db/prepared-query.ts), so neither side pays PostgreSQL's parse and plan per call. Without it,
 * unnamed statements: the baseline the first figures were measured against.
 */
const NAMED = process.env.BARE_NAMED === '1';
const query = (name: string, text: string, values: unknown[]) => pool.query(NAMED ? { name, text, values } : { text, values });

// Dates come back as strings, as renkei's pool is configured (DATE → text).
pg.types.setTypeParser(1082, (v) => v);

async function authenticate(request: FastifyRequest): Promise<{ grantId: string; userId: string; scope: Set<string> }> {
  // Over mutual TLS (MTLS_PORT): a certificate-bound token as Bearer, checked against the TLS client certificate.
  if (request.headers.authorization?.startsWith('Bearer ')) return authenticateCertificateBound(request);
  const at = await verifyDpopCall(request, { keys, origin, claimJti: async (key) => (await query('jti', SQL_JTI, [key, 70])).rowCount === 1 });
  return grantOf(at);
}

/** RFC 8705 §3: the token's cnf.x5t#S256 is the SHA-256 of the certificate this connection presented. */
async function authenticateCertificateBound(request: FastifyRequest) {
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  if (!m) throw new Refused(401, 'no token');
  const at = await verifyAccessToken(m[1]!, keys, origin);
  const x5t = (at.cnf as { 'x5t#S256'?: string } | undefined)?.['x5t#S256'];
  const peer = typeof (request.raw.socket as TLSSocket).getPeerCertificate === 'function' ? (request.raw.socket as TLSSocket).getPeerCertificate() : undefined;
  if (!x5t || !peer?.raw || createHash('sha256').update(peer.raw).digest('base64url') !== x5t) throw new Refused(401, 'certificate');
  return grantOf(at);
}

async function grantOf(at: { grant_id: unknown; client_id: unknown; scope: unknown }) {
  const g = (await query('grant', SQL_GRANT, [at.grant_id])).rows[0] as { id: string; user_id: string; client_id: string; active: boolean; user_active: boolean } | undefined;
  if (!g || g.client_id !== at.client_id || !g.active || !g.user_active) throw new Refused(401, 'grant');
  return { grantId: g.id, userId: g.user_id, scope: new Set(String(at.scope).split(' ')) };
}

const jst = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
function base(): { baseDate: string; baseTime: string } {
  const p = Object.fromEntries(jst.formatToParts(new Date()).map((x) => [x.type, x.value]));
  return { baseDate: `${p.year}-${p.month}-${p.day}`, baseTime: `${p.hour}:${p.minute}:${p.second}+09:00` };
}
const yen = (v: string) => v.split('.')[0]!;
const TYPE_NAMES: Record<string, string> = { '01': '普通預金（有利息）', '02': '普通預金（決済用）', '11': '円定期預金', '51': '外貨普通預金' };

// The DPoP listener (PORT) and, with MTLS_PORT, a mutual-TLS one asking every client for a certificate
// (as renkei's does) and serving the same routes for certificate-bound tokens.
const tlsFiles = { key: readFileSync(process.env.TLS_KEY_FILE!), cert: readFileSync(process.env.TLS_CERT_FILE!) };
const apps = [Fastify({ logger: false, https: tlsFiles })];
if (process.env.MTLS_PORT) apps.push(Fastify({ logger: false, https: { ...tlsFiles, requestCert: true, rejectUnauthorized: false } }));
for (const app of apps) routes(app);

function routes(app: (typeof apps)[number]): void {
  app.setErrorHandler((err, _request, reply) => {
    void reply.code(err instanceof Refused ? err.status : 500).send({ errorCode: 'error', errorMessage: (err as Error).message });
  });
  app.get('/readyz', async () => ({ status: 'ready' }));

  app.get<{ Querystring: { accountId: string } }>('/api/v1/accounts/balances', async (request) => {
    const auth = await authenticate(request);
    if (!auth.scope.has('balances')) throw new Refused(403, 'scope');
    const b = base();
    const rows = (await query('balances', SQL_BALANCES, [b.baseDate, auth.userId, `${b.baseDate.slice(0, 8)}01`, new Date(), auth.grantId, ...VISIBLE_PARAMS, request.query.accountId])).rows as
      { public_id: string; account_type_code: string; currency: string; balance: string; withdrawable_amount: string; previous_day_balance: string; previous_month_balance: string; ttb: string | null; yen_equivalent: string | null }[];
    if (rows.length === 0) throw new Refused(403, 'account');
    // The same per-科目 shapes as renkei (GMO's rules); the bench reads ordinary yen accounts.
    return {
      balances: rows.map((a) => {
        const head = { accountId: a.public_id, accountTypeCode: a.account_type_code, accountTypeName: TYPE_NAMES[a.account_type_code] };
        if (a.account_type_code === '51') return { ...head, ...b, currencyCode: a.currency, currencyName: '米ドル', fcyTotalBalance: a.balance, ...(a.ttb ? { ttb: a.ttb, yenEquivalent: a.yen_equivalent } : {}) };
        if (a.account_type_code === '11') return { ...head, balance: yen(a.balance), ...b, currencyCode: a.currency, currencyName: '日本円' };
        return {
          ...head, balance: yen(a.balance), ...b, withdrawableAmount: yen(a.withdrawable_amount), previousDayBalance: yen(a.previous_day_balance),
          previousMonthBalance: yen(a.previous_month_balance), currencyCode: a.currency, currencyName: '日本円',
        };
      }),
    };
  });

  app.get<{ Querystring: { accountId: string; dateFrom: string; dateTo: string } }>('/api/v1/accounts/transactions', async (request) => {
    const auth = await authenticate(request);
    if (!auth.scope.has('transactions')) throw new Refused(403, 'scope');
    const { accountId, dateFrom, dateTo } = request.query;
    const account = (await query('account', SQL_ACCOUNT, [auth.userId, auth.grantId, ...VISIBLE_PARAMS, accountId])).rows[0] as { id: string; public_id: string; currency: string } | undefined;
    if (!account) throw new Refused(403, 'account');
    const rows = (await query('page', SQL_PAGE, [account.id, dateFrom, dateTo, 501])).rows as
      { item_key: string; transaction_date: string; value_date: string; transaction_type: number; amount: string; balance_after: string; remarks: string }[];
    const hasNext = rows.length > 500;
    const page = hasNext ? rows.slice(0, 500) : rows;
    return {
      accountId: account.public_id, currencyCode: account.currency, currencyName: '日本円', dateFrom, dateTo, ...base(), hasNext,
      ...(hasNext ? { nextItemKey: page.at(-1)!.item_key } : {}), count: String(page.length),
      transactions: page.map((t) => ({
        transactionDate: t.transaction_date, valueDate: t.value_date, transactionType: String(t.transaction_type), amount: yen(t.amount),
        ...(t.remarks ? { remarks: t.remarks } : {}), balance: yen(t.balance_after), itemKey: t.item_key,
      })),
    };
  });
}

await apps[0]!.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
if (apps[1]) await apps[1].listen({ host: '127.0.0.1', port: Number(process.env.MTLS_PORT) });
serveIpc({});
process.on('SIGTERM', () => void Promise.all(apps.map((a) => a.close())).then(() => pool.end()).then(() => process.exit(0)));
process.send!({ type: 'ready' });
