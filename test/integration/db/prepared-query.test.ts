import t from 'tap';
import { sql } from 'kysely';
import { preparedQuery } from '../../../src/db/prepared-query.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';

// Built once at load, as the resource API's queries are: a call's values, constants kept, any handle.
const usersOfCustomer = preparedQuery('test-users-of-customer', ['customerId', 'status'], (db, param) => db
  .selectFrom('users')
  .select(['id', 'login_id'])
  .where('customer_id', '=', param('customerId'))
  .where('status', '=', param('status'))
  .where('role', 'in', ['master', 'member'])
  .orderBy('login_id'));

t.test('a prepared query answers as the query it was built from, each call with its own values', async (t) => {
  const { db } = await createTestDatabase(t);
  const [customer] = await sql<{ id: string }>`select id from customers limit 1`.execute(db).then((r) => r.rows);
  if (!customer) {
    // An empty migrated database: the query still runs, twice on the same statement.
    t.same(await usersOfCustomer(db, { customerId: '00000000-0000-0000-0000-000000000000', status: 'active' }), []);
    t.same(await usersOfCustomer(db, { customerId: '00000000-0000-0000-0000-000000000001', status: 'active' }), []);
    return;
  }
  const expected = await db.selectFrom('users').select(['id', 'login_id']).where('customer_id', '=', customer.id).where('status', '=', 'active')
    .where('role', 'in', ['master', 'member']).orderBy('login_id').execute();
  for (let i = 0; i < 3; i++) t.same(await usersOfCustomer(db, { customerId: customer.id, status: 'active' }), expected);
});

t.test('on PostgreSQL it goes as a named statement, parsed once per connection', { skip: !testDatabaseUrl && 'PostgreSQL only' }, async (t) => {
  const { db } = await createTestDatabase(t);
  await db.connection().execute(async (conn) => {
    await usersOfCustomer(conn, { customerId: '00000000-0000-0000-0000-000000000000', status: 'active' });
    await usersOfCustomer(conn, { customerId: '00000000-0000-0000-0000-000000000001', status: 'active' });
    const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(conn);
    t.same(rows.map((r) => r.name), ['test-users-of-customer']);
  });
});

t.test('a transaction runs it too', async (t) => {
  const { db } = await createTestDatabase(t);
  await db.transaction().execute(async (trx) => {
    t.same(await usersOfCustomer(trx, { customerId: '00000000-0000-0000-0000-000000000000', status: 'active' }), []);
  });
});

t.test('names are unique and every listed value must be used', async (t) => {
  t.throws(() => preparedQuery('test-users-of-customer', [], (db) => db.selectFrom('users').select('id')), /taken/);
  t.throws(() => preparedQuery('Bad Name', [], (db) => db.selectFrom('users').select('id')), /invalid/);
  t.throws(() => preparedQuery('test-unused-key', ['id'], (db) => db.selectFrom('users').select('id')), /does not use/);
});
