import type { Kysely } from 'kysely';
import { Agent, fetch as undiciFetch } from 'undici';
import { buildApp } from '../../src/app.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import type { AuthServer } from './auth-server.ts';
import { memoryLogSink, TEST_SECRETS } from './build-app.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * Another renkei instance of the main listener, with the same configuration (so the same public
 * origin, as behind a load balancer) on its own loopback port and the database handle given, e.g. a
 * second pool on the same PostgreSQL database. `fetch` reaches it and trusts its certificate.
 */
export async function secondInstance(t: TestLike, server: AuthServer, db: Kysely<Database>) {
  const sink = memoryLogSink();
  const tls = await generateSelfSigned(['localhost']);
  const app = await buildApp(
    { config: server.config, db, logger: createLogger('info', sink.stream), secrets: TEST_SECRETS, provider: server.provider },
    { listener: 'main', https: { key: tls.key, cert: tls.cert } },
  );
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
