import { sql } from 'kysely';
import t from 'tap';
import { kyselyBossDb, splitStatements } from '../../../src/jobs/boss-db.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// pg-boss's database port over Kysely (the embedded PGlite's path): scripts split where PostgreSQL
// would, and a multi-statement block runs all or nothing, with every statement's rows.

t.test('statements split at semicolons outside quotes, dollar quotes and comments', async (t) => {
  t.same(splitStatements(' BEGIN;\n select 1 ;; COMMIT; '), ['BEGIN', 'select 1', 'COMMIT']);
  t.same(splitStatements(`select 'a;b', "c;d", E'it\\'s;', 'it''s;'; select 2`), [`select 'a;b', "c;d", E'it\\'s;', 'it''s;'`, 'select 2']);
  const fn = `create function f() returns void as $fn$ begin execute $cmd$ select 1; $cmd$; perform 1; end $fn$ language plpgsql`;
  t.same(splitStatements(`${fn}; select $1::int`), [fn, 'select $1::int'], 'nested dollar tags and $1 placeholders');
  t.same(splitStatements('select 1 -- not; here\n; /* nor; here */ select 2'), ['select 1 -- not; here', '/* nor; here */ select 2']);
  t.same(splitStatements('select a$b$c from t; select 2'), ['select a$b$c from t', 'select 2'], 'a $ inside an identifier is no quote');
});

t.test('blocks run in one transaction and return the rows of every statement', async (t) => {
  const { db } = await createTestDatabase(t);
  const boss = kyselyBossDb(db);
  await boss.executeSql('create table jobs_t (n int primary key)');
  const r = await boss.executeSql('BEGIN; SET LOCAL lock_timeout = 30000; insert into jobs_t values (1), (2) returning n; COMMIT;');
  t.same(r.rows.map((x: { n: number }) => x.n), [1, 2], 'a RETURNING in the middle is not lost');
  t.same((await boss.executeSql('select count(*)::int as c from jobs_t where n > $1', [0])).rows, [{ c: 2 }], 'parameters');
  await t.rejects(boss.executeSql('BEGIN; insert into jobs_t values (3); insert into jobs_t values (1); COMMIT;'), 'a failing block fails');
  t.same((await sql<{ c: number }>`select count(*)::int as c from jobs_t`.execute(db)).rows, [{ c: 2 }], 'and leaves nothing behind');
  t.same((await boss.executeSql('select 1 as one')).rows, [{ one: 1 }], 'the connection is usable afterwards');
});
