import t from 'tap';
import { buildTestApp } from '../../helpers/build-app.ts';
import { createTestDatabase, testDatabaseUrl } from '../../helpers/database.ts';
import { secondPool } from '../../helpers/db-relay.ts';

t.test('/healthz answers without touching the database', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('/readyz is 200 while the database answers', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ready', database: 'ok' });
});

t.test('/readyz is 503 with Retry-After when the embedded database is closed', { skip: !!testDatabaseUrl && 'PGlite only; the PostgreSQL case is the relay test below' }, async (t) => {
  const { app, database } = await buildTestApp(t);
  await database.close();
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '5');
  t.match(res.json(), { errorCode: 'service_unavailable', errorMessage: String, requestId: String });
});

t.test('/readyz follows a PostgreSQL server that goes away and comes back', { skip: !testDatabaseUrl && 'needs DATABASE_URL (PGlite is in-process and cannot go away)' }, async (t) => {
  // A TCP relay in front of the real server stands for the network path: cutting it makes the
  // database unreachable, restoring it brings it back, and the same app serves again.
  const own = await createTestDatabase(t);
  const database = await secondPool(t, own.db, { relay: true });
  const { app } = await buildTestApp(t, { database });
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready through the relay');

  await database.down();
  const down = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(down.statusCode, 503, 'unreachable: 503');
  t.equal(down.headers['retry-after'], '5');
  t.equal(down.json().errorCode, 'service_unavailable');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process keeps serving');

  await database.up();
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready again once the database is back');
});
