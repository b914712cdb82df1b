import { once } from 'node:events';
import net from 'node:net';
import { sql, type Kysely } from 'kysely';
import { Agent, fetch as undiciFetch } from 'undici';
import { buildApp } from '../../src/app.ts';
import { createDb, type DatabaseHandle } from '../../src/db/create-db.ts';
import type { Database } from '../../src/db/database.ts';
import { createAuthorizationServer } from '../../src/oidc/authorization-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import type { AuthServer } from './auth-server.ts';
import { memoryLogSink, TEST_SECRETS } from './build-app.ts';
import { testDatabaseUrl, urlFor } from './database.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** How the path to the database fails: connections reset at once, or every packet silently dropped. */
export type Outage = 'reset' | 'blackhole';

export interface RelayedPool extends DatabaseHandle {
  /**
   * Cuts the path. `reset` (the default): the relay stops listening and resets every connection, so
   * each query and connection attempt fails at once. `blackhole`: connections stay open but nothing
   * crosses any more, new ones are accepted and hear nothing back, as when a firewall or a dead
   * router drops packets: only timeouts can tell.
   */
  down(outage?: Outage): Promise<void>;
  /**
   * Restores the path on the same port. Connections black-holed before stay silent for good (as a
   * connection through a failed-over address would): only new connections get through.
   */
  up(): Promise<void>;
}

/**
 * A second connection pool to the same PostgreSQL database as `db` (as another renkei process would
 * open), optionally through a TCP relay standing for the network path (`down()` / `up()`).
 * PostgreSQL only.
 */
export async function secondPool(t: TestLike, db: Kysely<Database>, opts: { relay?: boolean; statementTimeoutMs?: number } = {}): Promise<RelayedPool> {
  if (!testDatabaseUrl) throw new Error('secondPool needs DATABASE_URL');
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  const target = new URL(urlFor(rows[0]!.name));
  const budget = opts.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: opts.statementTimeoutMs };
  if (!opts.relay) {
    const handle = await createDb({ databaseUrl: target.toString(), poolSize: 2, ...budget });
    t.teardown(() => handle.close());
    return { ...handle, down: async () => {}, up: async () => {} };
  }
  const forwarded = new Set<net.Socket>();
  // Black-holed connections: read and dropped, never answered, never closed until teardown.
  const silent = new Set<net.Socket>();
  let blackhole = false;
  const hold = (s: net.Socket) => {
    silent.add(s);
    s.removeAllListeners('data');
    s.on('data', () => {});
    s.resume();
  };
  const relay = () => net.createServer((client) => {
    client.on('error', () => client.destroy());
    if (blackhole) {
      hold(client);
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      forwarded.add(s);
      s.on('close', () => forwarded.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  let server = relay().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const viaRelay = new URL(target);
  viaRelay.host = `127.0.0.1:${port}`;
  const handle = await createDb({ databaseUrl: viaRelay.toString(), poolSize: 2, ...budget });
  let listening = true;
  const down = async (outage: Outage = 'reset') => {
    if (outage === 'blackhole') {
      blackhole = true;
      for (const s of forwarded) {
        s.unpipe();
        hold(s);
      }
      forwarded.clear();
      return;
    }
    if (listening) server.close();
    listening = false;
    for (const s of forwarded) s.destroy();
  };
  t.teardown(async () => {
    await handle.close();
    await down();
    for (const s of silent) s.destroy();
  });
  return {
    ...handle,
    down,
    up: async () => {
      blackhole = false;
      if (listening) return;
      server = relay().listen(port, '127.0.0.1');
      await once(server, 'listening');
      listening = true;
    },
  };
}

/**
 * Another renkei instance of the main listener whose every part, the authorization server included,
 * reaches the database through `pool` (a relayed one, so a test can cut the path), with the same
 * configuration as `server` on its own loopback port. `fetch` reaches it and trusts its certificate.
 */
export async function instanceOn(t: TestLike, server: AuthServer, pool: DatabaseHandle) {
  const sink = memoryLogSink();
  const logger = createLogger('info', sink.stream);
  const deps = { config: server.config, db: pool.db, logger, secrets: TEST_SECRETS };
  const provider = await createAuthorizationServer(deps);
  const tls = await generateSelfSigned(['localhost']);
  const app = await buildApp({ ...deps, provider }, { listener: 'main', https: { key: tls.key, cert: tls.cert } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const agent = new Agent({ connect: { ca: tls.cert } });
  t.teardown(async () => {
    await agent.close();
    await app.close();
  });
  const url = `https://localhost:${(app.server.address() as { port: number }).port}`;
  const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  return { app, url, fetch, logs: sink.lines };
}
