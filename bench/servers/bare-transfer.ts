import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import pg from 'pg';
import { serveIpc } from '../lib/ipc-server.ts';

/**
 * Baseline for `bench transfer`: the unavoidable work of renkei's 振込依頼 (POST /api/v1/transfer/request,
 * DESIGN §17) and nothing else — TLS, HTTP routing, JSON parsing, one access-token JWT and one DPoP proof
 * verified with jose exactly as bench/servers/bare-api.ts does (jti recorded, grant checked in
 * PostgreSQL), then the reads renkei's domain needs (the caller's customer and granted accounts, the
 * user, the debit account with its PIN registration and rights, the beneficiary account of this bank,
 * an earlier request under the Idempotency-Key) and, in one transaction, the same inserts: the
 * application, its item, the audit row, the approvers looked up and their mail put in the outbox.
 * Hand-written SQL through pg; no validation library, no logging, no rate limit, no schemas.
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const origin = process.env.PUBLIC_URL!;
const keys = createLocalJWKSet({ keys: (await pool.query<{ public_jwk: JWK }>('select public_jwk from signing_keys')).rows.map((r) => r.public_jwk) });
const DPOP_ALGS = ['ES256', 'PS256', 'EdDSA'];
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const SQL_JTI = 'insert into "dpop_proof_jtis" ("key", "expires_at") values ($1, now() + make_interval(secs => $2)) on conflict ("key") do nothing returning "key"';
const SQL_GRANT = 'select "g"."id", "g"."user_id", "g"."client_id", g.revoked_at is null and g.expires_at > now() as "active", u.status = \'active\' and u.deleted_at is null as "user_active" from "grants" as "g" inner join "users" as "u" on "u"."id" = "g"."user_id" where "g"."oidc_grant_id" = $1';
const SQL_REQUESTER = 'select "u"."customer_id", coalesce((select array_agg(ga.account_id::text) from grant_accounts ga where ga.grant_id = $1), \'{}\'::text[]) as "account_ids" from "users" as "u" where "u"."id" = $2';
const SQL_USER = 'select "u"."id", "u"."role", "u"."status", "u"."group_id", "u"."customer_id", "c"."kind" from "users" as "u" inner join "customers" as "c" on "c"."id" = "u"."customer_id" where "u"."id" = $1 and "u"."deleted_at" is null';
const SQL_ACCOUNT = 'select "a"."id", "a"."public_id", "a"."account_type_code", "a"."account_name_kana", "a"."transfer_limit_amount", "r"."inquiry", "r"."transfer" from "accounts" as "a" inner join "pin_registrations" as "p" on "p"."account_id" = "a"."id" and "p"."user_id" = $1 left join "group_account_rights" as "r" on "r"."account_id" = "a"."id" and "r"."group_id" = $2 where "a"."public_id" = $3 and "a"."customer_id" = $4 and "a"."id" = any($5::uuid[])';
const SQL_BENEFICIARY = 'select "id" from "accounts" where "branch_code" = $1 and "account_type_code" = $2 and "account_number" = $3';
const SQL_REPLAY = 'select "apply_no", "request_hash" from "transfer_applications" where "client_id" = $1 and "idempotency_key" = $2';
const SQL_INSERT_APPLICATION = 'insert into "transfer_applications" ("apply_no", "customer_id", "account_id", "requested_by_user_id", "client_id", "grant_id", "item_count", "total_amount", "total_fee", "remitter_name", "designated_date", "holiday_code", "apply_comment", "status", "apply_end_at", "idempotency_key", "request_hash", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) on conflict ("client_id", "idempotency_key") do nothing returning "id", "apply_no"';
const SQL_INSERT_ITEM = 'insert into "transfer_items" ("application_id", "item_id", "amount", "fee", "edi_info", "beneficiary_bank_code", "beneficiary_branch_code", "account_type_code", "account_number", "beneficiary_name", "beneficiary_account_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';
const SQL_AUDIT = 'insert into "audit_events" ("type", "outcome", "customer_id", "actor_user_id", "actor_login_id", "subject_user_id", "details", "ip", "user_agent", "request_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';
const SQL_APPROVERS = 'select "u"."id", "u"."email" from "users" as "u" inner join "customers" as "c" on "c"."id" = "u"."customer_id" left join "groups" as "g" on "g"."id" = "u"."group_id" left join "group_account_rights" as "r" on "r"."group_id" = "u"."group_id" and "r"."account_id" = $1 where "u"."customer_id" = $2 and "u"."status" = $3 and "u"."deleted_at" is null and ("u"."role" = $4 or "c"."kind" = $5 or ("g"."approval_authority" = $6 and "r"."transfer" = $7)) order by "u"."login_id"';
const SQL_OUTBOX = 'insert into "mail_outbox" ("to_address", "subject", "text_body") select * from unnest($1::text[], $2::text[], $3::text[]) returning "id"';

pg.types.setTypeParser(1082, (v) => v);

class Refused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function authenticate(request: FastifyRequest): Promise<{ grantId: string; userId: string; clientId: string; scope: Set<string> }> {
  const m = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  if (!m) throw new Refused(401, 'no token');
  const token = m[1]!;
  const { payload: at } = await jwtVerify(token, keys, {
    issuer: origin, audience: `${origin}/api/v1`, typ: 'at+jwt', algorithms: ['ES256', 'PS256'], clockTolerance: 5,
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'scope'],
  });
  const jkt = (at.cnf as { jkt?: string } | undefined)?.jkt;
  if (!jkt || typeof at.grant_id !== 'string' || typeof at.client_id !== 'string' || typeof at.scope !== 'string') throw new Refused(401, 'claims');
  const proof = request.headers.dpop;
  if (typeof proof !== 'string' || proof.includes(',')) throw new Refused(401, 'proof');
  const header = decodeProtectedHeader(proof);
  const jwk = header.jwk as JWK | undefined;
  if (header.typ !== 'dpop+jwt' || !header.alg || !DPOP_ALGS.includes(header.alg) || !jwk || PRIVATE.some((k) => k in jwk)) throw new Refused(401, 'proof header');
  const { payload: p } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS });
  const now = Math.floor(Date.now() / 1000);
  const htu = new URL(`${origin}${request.url.split('?')[0]}`);
  const given = typeof p.htu === 'string' && URL.canParse(p.htu) ? new URL(p.htu) : undefined;
  if (typeof p.jti !== 'string' || p.htm !== request.method || !given || `${given.protocol}//${given.host}${given.pathname}` !== `${htu.protocol}//${htu.host}${htu.pathname}`
    || typeof p.iat !== 'number' || p.iat < now - 60 || p.iat > now + 5 || p.ath !== createHash('sha256').update(token).digest('base64url')) {
    throw new Refused(401, 'proof claims');
  }
  if (await calculateJwkThumbprint(jwk) !== jkt) throw new Refused(401, 'jkt');
  const fresh = await pool.query(SQL_JTI, [createHash('sha256').update(`${jkt}:${p.jti}`).digest('hex'), 70]);
  if (fresh.rowCount !== 1) throw new Refused(401, 'replay');
  const g = (await pool.query(SQL_GRANT, [at.grant_id])).rows[0] as { id: string; user_id: string; client_id: string; active: boolean; user_active: boolean } | undefined;
  if (!g || g.client_id !== at.client_id || !g.active || !g.user_active) throw new Refused(401, 'grant');
  return { grantId: g.id, userId: g.user_id, clientId: g.client_id, scope: new Set(at.scope.split(' ')) };
}

const jst = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
function jstDateTime(d: Date): string {
  const p = Object.fromEntries(jst.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}+09:00`;
}

interface Item { itemId: string; transferAmount: string; beneficiaryBankCode: string; beneficiaryBranchCode: string; accountTypeCode: string; accountNumber: string; beneficiaryName: string }
interface Body { accountId: string; transferDesignatedDate: string; transfers: Item[] }

const app = Fastify({
  logger: false,
  https: { key: readFileSync(process.env.TLS_KEY_FILE!), cert: readFileSync(process.env.TLS_CERT_FILE!) },
});
app.setErrorHandler((err, _request, reply) => {
  void reply.code(err instanceof Refused ? err.status : 500).send({ errorCode: 'error', errorMessage: (err as Error).message });
});
app.get('/readyz', async () => ({ status: 'ready' }));

app.post<{ Body: Body }>('/api/v1/transfer/request', async (request, reply) => {
  const auth = await authenticate(request);
  if (!auth.scope.has('transfers')) throw new Refused(403, 'scope');
  const body = request.body;
  const key = request.headers['idempotency-key'] as string | undefined;
  const requester = (await pool.query(SQL_REQUESTER, [auth.grantId, auth.userId])).rows[0] as { customer_id: string; account_ids: string[] };
  const user = (await pool.query(SQL_USER, [auth.userId])).rows[0] as { id: string; role: string; group_id: string | null; kind: string };
  const account = (await pool.query(SQL_ACCOUNT, [user.id, user.group_id ?? '00000000-0000-0000-0000-000000000000', body.accountId, requester.customer_id, requester.account_ids])).rows[0] as
    { id: string; public_id: string; account_name_kana: string; transfer: boolean | null } | undefined;
  if (!account || !(user.role === 'master' || user.kind === 'individual' || account.transfer)) throw new Refused(403, 'account');
  const item = body.transfers[0]!;
  const beneficiary = (await pool.query(SQL_BENEFICIARY, [item.beneficiaryBranchCode, '01', item.accountNumber])).rows[0] as { id: string } | undefined;
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  if (key) {
    const earlier = (await pool.query(SQL_REPLAY, [auth.clientId, key])).rows[0] as { apply_no: string; request_hash: string } | undefined;
    if (earlier) throw new Refused(409, 'replay');
  }
  const now = new Date();
  const applyEnd = new Date(now.getTime() + 24 * 3_600_000);
  const client = await pool.connect();
  let applyNo: string;
  try {
    await client.query('begin');
    const inserted = (await client.query(SQL_INSERT_APPLICATION, [
      `${randomInt(10_000_000, 100_000_000)}${randomInt(10_000_000, 100_000_000)}`, requester.customer_id, account.id, auth.userId, auth.clientId, auth.grantId, 1, item.transferAmount, '0',
      account.account_name_kana, body.transferDesignatedDate, '1', null, 'pending', applyEnd, key ?? null, key ? hash : null, now, now,
    ])).rows[0] as { id: string; apply_no: string };
    applyNo = inserted.apply_no;
    await client.query(SQL_INSERT_ITEM, [inserted.id, 1, item.transferAmount, '0', null, item.beneficiaryBankCode, item.beneficiaryBranchCode, item.accountTypeCode, item.accountNumber, item.beneficiaryName, beneficiary?.id ?? null]);
    await client.query(SQL_AUDIT, ['transfer.requested', 'success', requester.customer_id, auth.userId, null, null,
      JSON.stringify({ clientId: auth.clientId, applyNo, accountId: account.public_id, amount: item.transferAmount, items: 1, designatedDate: body.transferDesignatedDate }), request.ip, request.headers['user-agent'] ?? null, request.id]);
    const approvers = (await client.query(SQL_APPROVERS, [account.id, requester.customer_id, 'active', 'master', 'individual', true, true])).rows as { email: string }[];
    const text = `振込の承認依頼: 受付番号 ${applyNo}, ${item.transferAmount}円, ${item.beneficiaryName}. 承認期限 ${jstDateTime(applyEnd)}`;
    await client.query(SQL_OUTBOX, [approvers.map((a) => a.email), approvers.map(() => '【れんけい銀行】振込の承認依頼'), approvers.map(() => text)]);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
  return reply.code(201).send({ accountId: account.public_id, resultCode: '2', applyNo, applyEndDatetime: jstDateTime(applyEnd) });
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
serveIpc({});
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
process.send!({ type: 'ready' });
