import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyRequest } from 'fastify';
import { createLocalJWKSet, type JWK } from 'jose';
import { Refused, verifyDpopCall } from './bare-dpop.ts';
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

const SQL_JTI = 'insert into "dpop_proof_jtis" ("key", "expires_at") values ($1, now() + make_interval(secs => $2)) on conflict ("key") do nothing returning "key"';
const SQL_GRANT = 'select "g"."id", "g"."user_id", "g"."client_id", g.revoked_at is null and g.expires_at > now() as "active", u.status = \'active\' and u.deleted_at is null as "user_active" from "grants" as "g" inner join "users" as "u" on "u"."id" = "g"."user_id" where "g"."oidc_grant_id" = $1';
const SQL_REQUESTER = 'select "u"."customer_id", coalesce((select array_agg(ga.account_id::text) from grant_accounts ga where ga.grant_id = $1), \'{}\'::text[]) as "account_ids" from "users" as "u" where "u"."id" = $2';
// The user and the debit account in one statement, as renkei's debitAccountFor reads them.
const SQL_USER_ACCOUNT = 'select "u"."role", "c"."kind", "a"."id", "a"."public_id", "a"."account_name_kana", "a"."transfer" from "users" as "u" inner join "customers" as "c" on "c"."id" = "u"."customer_id" left join lateral (select "a"."id", "a"."public_id", "a"."account_type_code", "a"."account_name_kana", "a"."transfer_limit_amount", "r"."inquiry", "r"."transfer" from "accounts" as "a" inner join "pin_registrations" as "p" on "p"."account_id" = "a"."id" and "p"."user_id" = "u"."id" left join "group_account_rights" as "r" on "r"."account_id" = "a"."id" and "r"."group_id" = "u"."group_id" where "a"."public_id" = $2 and "a"."customer_id" = $3 and "a"."id" = any($4::uuid[])) as "a" on true where "u"."id" = $1 and "u"."deleted_at" is null';
const SQL_BENEFICIARY = 'select "id" from "accounts" where "branch_code" = $1 and "account_type_code" = $2 and "account_number" = $3';
const SQL_REPLAY = 'select "apply_no", "request_hash" from "transfer_applications" where "client_id" = $1 and "idempotency_key" = $2';
const SQL_INSERT_APPLICATION = 'insert into "transfer_applications" ("apply_no", "customer_id", "account_id", "requested_by_user_id", "client_id", "grant_id", "item_count", "total_amount", "total_fee", "remitter_name", "designated_date", "holiday_code", "apply_comment", "status", "apply_end_at", "idempotency_key", "request_hash", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) on conflict ("client_id", "idempotency_key") do nothing returning "id", "apply_no"';
const SQL_INSERT_ITEM = 'insert into "transfer_items" ("application_id", "item_id", "amount", "fee", "edi_info", "beneficiary_bank_code", "beneficiary_branch_code", "account_type_code", "account_number", "beneficiary_name", "beneficiary_account_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';
const SQL_AUDIT = 'insert into "audit_events" ("type", "outcome", "customer_id", "actor_user_id", "actor_login_id", "subject_user_id", "details", "ip", "user_agent", "request_id") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';
const SQL_APPROVERS = 'select "u"."id", "u"."email" from "users" as "u" inner join "customers" as "c" on "c"."id" = "u"."customer_id" left join "groups" as "g" on "g"."id" = "u"."group_id" left join "group_account_rights" as "r" on "r"."group_id" = "u"."group_id" and "r"."account_id" = $1 where "u"."customer_id" = $2 and "u"."status" = $3 and "u"."deleted_at" is null and ("u"."role" = $4 or "c"."kind" = $5 or ("g"."approval_authority" = $6 and "r"."transfer" = $7)) order by "u"."login_id"';
const SQL_OUTBOX = 'insert into "mail_outbox" ("to_address", "subject", "text_body") select * from unnest($1::text[], $2::text[], $3::text[]) returning "id"';

pg.types.setTypeParser(1082, (v) => v);

async function authenticate(request: FastifyRequest): Promise<{ grantId: string; userId: string; clientId: string; scope: Set<string> }> {
  const at = await verifyDpopCall(request, { keys, origin, claimJti: async (key) => (await pool.query(SQL_JTI, [key, 70])).rowCount === 1 });
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
  const row = (await pool.query(SQL_USER_ACCOUNT, [auth.userId, body.accountId, requester.customer_id, requester.account_ids])).rows[0] as
    { role: string; kind: string; id: string | null; public_id: string; account_name_kana: string; transfer: boolean | null };
  const account = row.id === null ? undefined : row;
  if (!account || !(row.role === 'master' || row.kind === 'individual' || account.transfer)) throw new Refused(403, 'account');
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
