import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import t from 'tap';
import { purgeExpiredPasswordResets } from '../../../src/auth/password-reset-purge.ts';
import { purgeExpiredConfirmations } from '../../../src/business-id/confirmation-purge.ts';
import type { Database } from '../../../src/db/database.ts';
import { deleteExpiredPayloads } from '../../../src/oidc/payload-cleanup.ts';
import { endExpiredGrants, remindExpiringConsents } from '../../../src/partners/consent-expiry.service.ts';
import { purgeSpentProofs } from '../../../src/resource-api/spent-token-purge.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// How long the sweeps take on many grants (DESIGN §16), and the longest single statement they send
// (each must stay far inside the request path's statement timeout). A measurement, not part of the
// suite: run on PostgreSQL with
//   SWEEP_BENCH_GRANTS=10000 DATABASE_URL=postgres://… tap --disable-coverage test/integration/jobs/sweep-timings.test.ts
const count = Number(process.env.SWEEP_BENCH_GRANTS ?? 0);
if (!count || !process.env.DATABASE_URL) {
  t.pass('skipped: set SWEEP_BENCH_GRANTS and DATABASE_URL to measure');
} else {
  t.setTimeout(1_800_000);
  const handle = await createTestDatabase(t);
  let longest = { ms: 0, sql: '' };
  const pool = new pg.Pool({ connectionString: handle.url, max: 4 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => { if (e.queryDurationMillis > longest.ms) longest = { ms: e.queryDurationMillis, sql: e.query.sql.replace(/\s+/g, ' ').slice(0, 90) }; },
  });
  t.teardown(() => db.destroy());

  const users = 100;
  const clients = Math.ceil(count / users);
  // One individual customer per user, each user its customer's master (the schema's rules for a lone user).
  await sql`insert into customers (kind, name, name_kana) select 'individual', 'ベンチ' || i, 'ﾍﾞﾝﾁ' from generate_series(1, ${users}) i`.execute(db);
  await sql`insert into users (customer_id, login_id, name, email, role, login_password_hash, transaction_password_hash, status)
    select c.id, '8' || lpad(row_number() over ()::text, 9, '0'), c.name, 'u' || row_number() over () || '@example.test', 'master', 'x', 'y', 'active'
    from customers c`.execute(db);
  await sql`insert into partners (legal_name, service_name) values ('株式会社ベンチ', 'ベンチ')`.execute(db);
  await sql`insert into oauth_clients (client_id, partner_id, metadata, allowed_scopes)
    select 'bench-client-' || i, (select id from partners limit 1), jsonb_build_object('client_name', 'ベンチアプリ' || i), array['balances']
    from generate_series(1, ${clients}) i`.execute(db);
  const setUp = async () => {
    await sql`delete from grants`.execute(db);
    await sql`delete from oidc_payloads`.execute(db);
    await sql`insert into grants (user_id, client_id, oidc_grant_id, scopes, granted_at, expires_at)
      select u.id, c.client_id, 'og-' || u.login_id || '-' || c.client_id, array['balances'], now() - interval '85 days', now() + interval '5 days'
      from (select id, login_id from users) u cross join (select client_id from oauth_clients) c limit ${count}`.execute(db);
    await sql`insert into oidc_payloads (model, id, payload, grant_id, expires_at)
      select m, m || '-' || oidc_grant_id, '{}', oidc_grant_id, now() + interval '5 days'
      from grants cross join (values ('Grant'), ('RefreshToken')) v(m)`.execute(db);
    await sql`update oidc_payloads set grant_id = null where model = 'Grant'`.execute(db);
    await sql`analyze`.execute(db);
  };
  const measure = async (label: string, run: () => Promise<unknown>) => {
    longest = { ms: 0, sql: '' };
    const started = performance.now();
    const result = await run();
    const ms = Math.round(performance.now() - started);
    t.comment(`${label}: ${JSON.stringify(result)} in ${ms} ms; longest statement ${Math.round(longest.ms)} ms (${longest.sql})`);
    return result;
  };

  t.test(`${count} grants`, async (t) => {
    await setUp();
    const now = new Date();
    await measure('reminders, none due yet', () => remindExpiringConsents(db, { now, reminderDays: 3, linksUrl: 'https://bank.example/ib/links' }));
    t.equal(await measure('reminders, all due', () => remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: 'https://bank.example/ib/links' })), count);
    t.equal(await measure('reminders, rerun', () => remindExpiringConsents(db, { now, reminderDays: 7, linksUrl: 'https://bank.example/ib/links' })), 0);
    t.equal(Number((await sql<{ n: string }>`select count(*) as n from mail_outbox`.execute(db)).rows[0]!.n), count, 'one mail each in the outbox');
    await measure('ends, none due', () => endExpiredGrants(db, { now }));
    await sql`update grants set granted_at = now() - interval '91 days', expires_at = now() - interval '1 minute'`.execute(db);
    t.equal(await measure('ends, all due', () => endExpiredGrants(db, { now: new Date() })), count);
    t.equal(await measure('ends, rerun', () => endExpiredGrants(db, { now: new Date() })), 0);

    await sql`insert into dpop_proof_jtis (key, expires_at) select 'k' || i, now() - interval '1 second' from generate_series(1, ${count}) i`.execute(db);
    await sql`insert into oidc_payloads (model, id, payload, expires_at) select 'Session', 's' || i, '{}', now() - interval '1 hour' from generate_series(1, ${count}) i`.execute(db);
    await sql`insert into email_tokens (user_id, purpose, subject_hash, code_hash, expires_at)
      select (select id from users limit 1), 'bench', repeat('a', 64), 'x', now() - interval '1 second' from generate_series(1, ${count}) i`.execute(db);
    await sql`insert into pending_changes (customer_id, actor_user_id, kind, payload, subject_hash, expires_at)
      select (select customer_id from users limit 1), (select id from users limit 1), 'bench', '{}', repeat('a', 64), now() - interval '1 second' from generate_series(1, ${count}) i`.execute(db);
    await sql`insert into password_resets (user_id, kind, token_hash, code_hash, expires_at)
      select (select id from users limit 1), 'login', 't' || i, 'x', now() - interval '1 second' from generate_series(1, ${count}) i`.execute(db);
    await sql`analyze`.execute(db);
    const at = new Date();
    t.equal(await measure('purge oidc_payloads', () => deleteExpiredPayloads(db, { now: at })), count);
    t.equal(await measure('purge dpop_proof_jtis', () => purgeSpentProofs(db, at)), count);
    t.same(await measure('purge email_tokens + pending_changes', () => purgeExpiredConfirmations(db, at)), { pendingChanges: count, mailTokens: count });
    t.equal(await measure('purge password_resets', () => purgeExpiredPasswordResets(db, at)), count);
  });
}
