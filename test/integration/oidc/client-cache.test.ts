import t from 'tap';
import { createDb } from '../../../src/db/create-db.ts';
import { createAuthorizationServer } from '../../../src/oidc/authorization-server.ts';
import { ClientCache } from '../../../src/oidc/client-cache.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { memoryLogSink, TEST_SECRETS } from '../../helpers/build-app.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

// Clients are cached per process; a change made anywhere reaches every process's cache through
// PostgreSQL LISTEN/NOTIFY, long before the cache's own expiry (60 s).

const server = await startAuthServer(t);
const a = server.database;
// A second process's view: its own pool and LISTEN connection on PostgreSQL (the embedded database
// is one in-process instance, so there the second provider shares the handle but not the cache).
const b = a.kind === 'postgres' && a.url ? await createDb({ databaseUrl: a.url, poolSize: 2 }) : a;
if (b !== a) t.teardown(() => b.close());
const providerB = await createAuthorizationServer({
  config: server.config, db: b.db, logger: createLogger('info', memoryLogSink().stream), secrets: TEST_SECRETS, listen: b.listen,
});

async function until(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

t.test('a client disabled through one process is refused by another at once', async (t) => {
  const tc = await insertTestClient(a.db);
  t.ok(await providerB.Client.find(tc.clientId), 'the other process knows (and caches) the client');
  await a.db.updateTable('oauth_clients').set({ status: 'disabled' }).where('client_id', '=', tc.clientId).execute();
  t.ok(await until(async () => (await providerB.Client.find(tc.clientId)) === undefined), 'and forgets it within two seconds, not sixty');
  await a.db.updateTable('oauth_clients').set({ status: 'active' }).where('client_id', '=', tc.clientId).execute();
  t.ok(await until(async () => (await providerB.Client.find(tc.clientId)) !== undefined), 're-enabling works the same way');
});

t.test('a narrowed scope list reaches the other process, and a partner change flushes every client', async (t) => {
  const tc = await insertTestClient(a.db);
  const scopeOf = async () => String((await providerB.Client.find(tc.clientId))?.metadata()?.scope ?? '');
  t.match(await scopeOf(), 'offline_access');
  await a.db.updateTable('oauth_clients').set({ allowed_scopes: ['openid', 'balances'] }).where('client_id', '=', tc.clientId).execute();
  t.ok(await until(async () => !(await scopeOf()).includes('offline_access')), 'offline_access is gone');
  const partner = await a.db.selectFrom('oauth_clients').select('partner_id').where('client_id', '=', tc.clientId).executeTakeFirstOrThrow();
  await a.db.updateTable('partners').set({ status: 'suspended' }).where('id', '=', partner.partner_id).execute();
  t.ok(await until(async () => (await providerB.Client.find(tc.clientId)) === undefined), 'a suspended partner’s clients stop at once');
  await a.db.updateTable('partners').set({ status: 'active' }).where('id', '=', partner.partner_id).execute();
});

t.test('the cache itself: hits within the TTL, loads after it, forgets on invalidation', async (t) => {
  const cache = new ClientCache<string>({ ttlMs: 50, maxEntries: 2 });
  let loads = 0;
  const load = async () => `v${++loads}`;
  t.equal(await cache.get('x', load), 'v1');
  t.equal(await cache.get('x', load), 'v1', 'a hit');
  cache.invalidate('x');
  t.equal(await cache.get('x', load), 'v2', 'reloaded after invalidation');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(await cache.get('x', load), 'v3', 'reloaded after the TTL');
  await cache.get('y', load);
  await cache.get('z', load);
  t.equal(await cache.get('y', load), 'v6', 'bounded: a full cache starts over');
  cache.invalidate('*');
  t.equal(await cache.get('z', load), 'v7');
});
