import { sql } from 'kysely';
import t from 'tap';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { secondPool } from '../../helpers/db-relay.ts';
import { isDatabaseUnavailable } from '../../../src/shared/db-errors.ts';

// A request's statement has a short budget, so a stalled server turns into a 503 long before the
// request times out; work that legitimately runs long opens its own handle with a larger one.

t.test('a statement past the request budget is cancelled and counts as unavailable; a larger budget lets it finish', {
  skip: !testDatabaseUrl && 'PostgreSQL only (DATABASE_URL): PGlite has no statement timeout to set',
}, async (t) => {
  const own = await createTestDatabase(t);
  const requests = await secondPool(t, own.db);
  const err = await sql`select pg_sleep(3)`.execute(requests.db).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: '57014' }, 'cancelled by the server at its budget');
  t.ok(isDatabaseUnavailable(err), 'answered as 503 service_unavailable');
  t.equal((await sql<{ one: number }>`select 1 as one`.execute(requests.db)).rows[0]?.one, 1, 'the connection serves the next query');

  const sweeps = await secondPool(t, own.db, { statementTimeoutMs: 10_000 });
  await t.resolves(sql`select pg_sleep(3)`.execute(sweeps.db), 'a handle with a larger budget runs the long statement');
});
