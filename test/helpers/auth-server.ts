import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Provider } from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config/config.schema.ts';
import type { DatabaseHandle } from '../../src/db/create-db.ts';
import { seedDemoData } from '../../src/db/seed/seed.ts';
import { createAuthorizationServer } from '../../src/oidc/authorization-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import { memoryLogSink, testConfig, TEST_SECRETS } from './build-app.ts';
import { createTestDatabase } from './database.ts';
import { freePort } from './processes.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface AuthServer {
  issuer: string;
  mtlsUrl: string;
  config: Readonly<Config>;
  database: DatabaseHandle & { url?: string };
  provider: Provider;
  main: FastifyInstance;
  mtls: FastifyInstance;
  /** The self-signed server certificate (PEM) clients must trust. */
  ca: string;
  /** fetch that trusts the server certificate (undici; loopback only). */
  fetch: typeof undiciFetch;
  logs: () => string[];
}

/**
 * Both HTTPS listeners of the real application on free loopback ports, over a fresh database with
 * the demo data, as `npm start` runs them (one provider shared by the two apps).
 */
export async function startAuthServer(
  t: TestLike,
  opts: { env?: Record<string, string>; seed?: boolean; demo?: boolean } = {},
): Promise<AuthServer & { keyDir?: string }> {
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const database = await createTestDatabase(t);
  if (opts.seed ?? true) await seedDemoData(database.db, { today: '2026-11-20', initialAccessToken: opts.env?.INITIAL_ACCESS_TOKEN });
  // With the partner demo built in as src/server.ts builds it: it keeps its client key in DATA_DIR.
  const keyDir = opts.demo ? await mkdtemp(path.join(tmpdir(), 'renkei-demo-')) : undefined;
  if (keyDir) t.teardown(() => rm(keyDir, { recursive: true, force: true }));
  const demoEnv: Record<string, string> = keyDir ? { SEED_DEMO_DATA: 'true', DATA_DIR: keyDir } : {};
  const config = testConfig({ PORT: String(port), MTLS_PORT: String(mtlsPort), ...demoEnv, ...opts.env });
  const sink = memoryLogSink();
  const logger = createLogger('info', sink.stream);
  const base = { config, db: database.db, logger, secrets: TEST_SECRETS };
  const provider = await createAuthorizationServer({ ...base, listen: database.listen });
  const tls = await generateSelfSigned(['localhost']);
  const https = { key: tls.key, cert: tls.cert };
  const main = await buildApp({ ...base, provider }, { listener: 'main', https, ...(keyDir ? { demo: { serverCertificate: tls.cert } } : {}) });
  const mtls = await buildApp({ ...base, provider }, { listener: 'mtls', https: { ...https, requestCert: true, rejectUnauthorized: false } });
  await main.listen({ host: '127.0.0.1', port });
  await mtls.listen({ host: '127.0.0.1', port: mtlsPort });
  const agent = new Agent({ connect: { ca: tls.cert } });
  t.teardown(async () => {
    await agent.close();
    await main.close();
    await mtls.close();
  });
  const trustingFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  return {
    issuer: config.publicUrl, mtlsUrl: config.mtlsPublicUrl, config, database, provider, main, mtls, ca: tls.cert,
    fetch: trustingFetch, logs: sink.lines, ...(keyDir ? { keyDir } : {}),
  };
}
