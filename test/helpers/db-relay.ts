import { once } from 'node:events';
import net from 'node:net';
import { sql, type Kysely } from 'kysely';
import { createDb, type DatabaseHandle } from '../../src/db/create-db.ts';
import type { Database } from '../../src/db/database.ts';
import { testDatabaseUrl, urlFor } from './database.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * A second connection pool to the same PostgreSQL database as `db` (as another renkei process would
 * open), optionally through a TCP relay standing for the network path: `down()` cuts it (the database
 * becomes unreachable), `up()` restores it on the same port. PostgreSQL only.
 */
export async function secondPool(t: TestLike, db: Kysely<Database>, opts: { relay?: boolean } = {}): Promise<DatabaseHandle & { down(): Promise<void>; up(): Promise<void> }> {
  if (!testDatabaseUrl) throw new Error('secondPool needs DATABASE_URL');
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  const target = new URL(urlFor(rows[0]!.name));
  if (!opts.relay) {
    const handle = await createDb({ databaseUrl: target.toString(), poolSize: 2 });
    t.teardown(() => handle.close());
    return { ...handle, down: async () => {}, up: async () => {} };
  }
  const sockets = new Set<net.Socket>();
  const relay = () => net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  let server = relay().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const viaRelay = new URL(target);
  viaRelay.host = `127.0.0.1:${port}`;
  const handle = await createDb({ databaseUrl: viaRelay.toString(), poolSize: 2 });
  const down = async () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  t.teardown(async () => {
    await handle.close();
    await down();
  });
  return {
    ...handle,
    down,
    up: async () => {
      server = relay().listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
  };
}
