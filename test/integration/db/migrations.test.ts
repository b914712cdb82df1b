import { sql } from 'kysely';
import t from 'tap';
import { migrateDownAll, migrateToLatest, pendingMigrations } from '../../../src/db/migrate.ts';
import { migrations } from '../../../migrations/index.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const TABLES = [
  'customers', 'accounts', 'transactions', 'groups', 'group_account_rights', 'users', 'pin_registrations',
  'partners', 'oauth_clients', 'initial_access_tokens', 'grants', 'grant_accounts', 'certificates',
  'email_tokens', 'password_resets', 'audit_events', 'mail_outbox', 'oidc_payloads', 'signing_keys',
];

async function tables(db: Parameters<typeof migrateToLatest>[0]): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db);
  return r.rows.map((x) => x.table_name);
}

t.test('migrations go up on a fresh database, down to nothing, and up again', async (t) => {
  const { db } = await createTestDatabase(t, { migrate: false });
  t.same(await pendingMigrations(db), Object.keys(migrations), 'all pending on a fresh database');
  t.same(await migrateToLatest(db), Object.keys(migrations));
  const created = await tables(db);
  t.same(TABLES.filter((x) => !created.includes(x)), [], 'every domain table exists');
  t.same(await pendingMigrations(db), []);
  t.same(await migrateToLatest(db), [], 'running again applies nothing');

  t.same(await migrateDownAll(db), Object.keys(migrations).reverse());
  t.same(await tables(db), [], 'down removes every table');
  const fns = await sql<{ n: string }>`select count(*) as n from pg_proc p join pg_namespace s on s.oid = p.pronamespace where s.nspname = 'public'`.execute(db);
  t.equal(Number(fns.rows[0]!.n), 0, 'and every function');

  t.same(await migrateToLatest(db), Object.keys(migrations), 'up again after down');
  t.same(await tables(db), created, 'the same tables again');
});

t.test('each migration can go down one step and up again', async (t) => {
  const { db } = await createTestDatabase(t, { migrate: false });
  const { Migrator } = await import('kysely/migration');
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  for (const name of Object.keys(migrations)) {
    const up = await migrator.migrateTo(name);
    t.error(up.error, `up to ${name}`);
  }
  for (let i = Object.keys(migrations).length; i > 0; i--) {
    const down = await migrator.migrateDown();
    t.error(down.error, `down step ${i}`);
    const up = await migrator.migrateUp();
    t.error(up.error, `up again after step ${i}`);
    await migrator.migrateDown();
  }
  t.same(await tables(db), []);
});
