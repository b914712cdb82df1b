import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { buildApp } from '../../../src/app.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { createAuthorizationServer } from '../../../src/oidc/authorization-server.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { freePort, type AuthServer } from '../../helpers/auth-server.ts';
import { memoryLogSink, testConfig, TEST_SECRETS } from '../../helpers/build-app.ts';
import { createTestDatabase } from '../../helpers/database.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * Like test/helpers/auth-server.ts's startAuthServer (both real HTTPS listeners, fresh database with
 * the demo data), with the partner demo built into the main app as src/server.ts builds it: the demo
 * trusts the server's certificate and keeps its client key in a temporary DATA_DIR.
 */
export async function startDemoServer(t: TestLike): Promise<AuthServer & { keyDir: string }> {
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const database = await createTestDatabase(t);
  await seedDemoData(database.db, { today: '2026-11-20' });
  const keyDir = await mkdtemp(path.join(tmpdir(), 'renkei-demo-'));
  const config = testConfig({ PORT: String(port), MTLS_PORT: String(mtlsPort), SEED_DEMO_DATA: 'true', DATA_DIR: keyDir });
  const sink = memoryLogSink();
  const logger = createLogger('info', sink.stream);
  const base = { config, db: database.db, logger, secrets: TEST_SECRETS };
  const provider = await createAuthorizationServer(base);
  const tls = await generateSelfSigned(['localhost']);
  const https = { key: tls.key, cert: tls.cert };
  const main = await buildApp({ ...base, provider }, { listener: 'main', https, demo: { serverCertificate: tls.cert } });
  const mtls = await buildApp({ ...base, provider }, { listener: 'mtls', https: { ...https, requestCert: true, rejectUnauthorized: false } });
  await main.listen({ host: '127.0.0.1', port });
  await mtls.listen({ host: '127.0.0.1', port: mtlsPort });
  const agent = new Agent({ connect: { ca: tls.cert } });
  t.teardown(async () => {
    await agent.close();
    await main.close();
    await mtls.close();
    await rm(keyDir, { recursive: true, force: true });
  });
  const trustingFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  return {
    issuer: config.publicUrl, mtlsUrl: config.mtlsPublicUrl, config, database, provider, main, mtls, ca: tls.cert,
    fetch: trustingFetch, logs: sink.lines, keyDir,
  };
}
