import { sql } from 'kysely';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { startJobs, type JobRunner } from '../../../src/jobs/jobs.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { memoryLogSink } from '../../helpers/build-app.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';

// DESIGN §16: the sweeps run on pg-boss in-process, on PGlite (default) and on PostgreSQL (with
// DATABASE_URL): the runner boots pg-boss, stores the schedules, and works queued sweeps; two instances
// on one database send a reminder once.
t.setTimeout(120_000);
const database = await createTestDatabase(t);
const { db } = database;
const DAY = 86_400_000;

/** Waits (bounded) for a condition the background workers bring about. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

const completed = async (name: string) => {
  const r = await sql<{ n: string }>`select count(*)::text as n from pgboss.job where name = ${name} and state = 'completed'`.execute(db);
  return Number(r.rows[0]!.n);
};

const customerId = await insertCustomer(db, { kind: 'individual' });
const userId = await insertMaster(db, customerId);
const partner = await db.insertInto('partners').values({ legal_name: '株式会社ジョブテスト', service_name: 'ジョブ家計簿' }).returning('id').executeTakeFirstOrThrow();
await db.insertInto('oauth_clients').values({
  client_id: 'jobs-test-client', partner_id: partner.id, metadata: JSON.stringify({ client_name: 'ジョブ家計簿アプリ' }), allowed_scopes: ['balances'],
}).execute();
const now = Date.now();
const dueSoon = await db.insertInto('grants').values({
  user_id: userId, client_id: 'jobs-test-client', scopes: ['balances'], granted_at: new Date(now - 80 * DAY), expires_at: new Date(now + 3 * DAY),
}).returning('id').executeTakeFirstOrThrow();

const deliveries: string[] = [];
const sink = memoryLogSink();
const runners: JobRunner[] = [];
for (const instance of ['A', 'B']) {
  runners.push(await startJobs({
    db, kind: database.kind, databaseUrl: database.url, logger: createLogger('info', sink.stream),
    deliverMail: async () => { deliveries.push(instance); return new Set<string>(); },
    config: { publicUrl: 'https://bank.example', consentReminderDays: 7, certRenewalNoticeDays: 30, mtlsPublicUrl: 'https://mtls.bank.example' },
    bankCa: () => loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 7) }), pollingIntervalSeconds: 0.5,
  }));
}
const [a, b] = runners as [JobRunner, JobRunner];

t.test(`pg-boss boots on ${database.kind} and stores every sweep's schedule once`, async (t) => {
  const schedules = await sql<{ name: string; cron: string; timezone: string }>`select name, cron, timezone from pgboss.schedule order by name`.execute(db);
  t.same(schedules.rows.map((s) => s.name), ['certificate-crl', 'certificate-orders-expiry', 'certificate-renewal-notices', 'consent-expiry-ends', 'consent-expiry-reminders', 'purge-expired', 'transfer-executions', 'transfer-expiry'], 'two instances, one schedule each');
  t.ok(schedules.rows.every((s) => s.timezone === 'Asia/Tokyo'));
});

t.test('a queued purge runs and removes what expired', async (t) => {
  await db.insertInto('password_resets').values([
    { user_id: userId, kind: 'login', token_hash: 'old', code_hash: 'x', expires_at: new Date(now - 60_000) },
    { user_id: userId, kind: 'login', token_hash: 'new', code_hash: 'x', expires_at: new Date(now + 600_000) },
  ]).execute();
  // (false only if the 5-minute schedule queued one at this very moment: that one runs instead)
  await a.runNow('purge-expired');
  await eventually('the purge ran', async () => (await completed('purge-expired')) >= 1);
  t.same((await db.selectFrom('password_resets').select('token_hash').execute()).map((r) => r.token_hash), ['new']);
  t.ok(sink.lines().some((l) => l.includes('"sweep":"purge-expired"') && l.includes('"passwordResets":1')), 'logged with its counts');
});

t.test('the reminder sweep queued from two instances and run twice: one mail', async (t) => {
  await a.runNow('consent-expiry-reminders');
  await eventually('the first run finished', async () => (await completed('consent-expiry-reminders')) >= 1);
  await b.runNow('consent-expiry-reminders');
  await eventually('the second run finished', async () => (await completed('consent-expiry-reminders')) >= 2);
  const mails = await db.selectFrom('mail_outbox').select(['to_address', 'subject', 'text_body']).execute();
  t.equal(mails.length, 1, 'written once');
  t.match(mails[0], { to_address: 'master@example.test', subject: /API連携の有効期限のお知らせ/, text_body: /ジョブ家計簿アプリ[\s\S]*株式会社ジョブテスト[\s\S]*https:\/\/bank\.example\/ib\/links/ });
  t.equal(deliveries.length, 2, 'each run (on whichever instance fetched it) hands over what is stored');
  const claims = await db.selectFrom('sent_notifications').select('subject_id').execute();
  t.same(claims.map((c) => c.subject_id), [dueSoon.id]);
});

t.test('the expiry sweep ends a grant whose period is over', async (t) => {
  await db.updateTable('grants').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', dueSoon.id).execute();
  await b.runNow('consent-expiry-ends');
  await eventually('the grant ended', async () => (await db.selectFrom('grants').select('revoked_at').where('id', '=', dueSoon.id).executeTakeFirstOrThrow()).revoked_at !== null);
  const g = await db.selectFrom('grants').select(['ended_by', 'revoke_reason']).where('id', '=', dueSoon.id).executeTakeFirstOrThrow();
  t.same(g, { ended_by: 'expiry', revoke_reason: 'expiry' });
});

t.test('stopping leaves the database usable', async (t) => {
  await Promise.all(runners.map((r) => r.stop(5000)));
  t.equal((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one, 1);
});
