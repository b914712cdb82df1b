import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.ts';
import type { Config } from '../../src/config/config.schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { DatabaseHandle } from '../../src/db/create-db.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from './database.ts';

/** Fixed secrets for tests: never used outside them. */
export const TEST_SECRETS = {
  cookieKeys: ['test-cookie-key-0123456789abcdefghijklmnop'],
  keyEncryptionKey: Buffer.alloc(32, 42),
};

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** Configuration for tests: defaults plus overrides, through the real loader. */
export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  // Throttling has tests of its own; elsewhere it would only stop tests that make many attempts on purpose.
  return loadConfig({ DATA_DIR: '/nonexistent-test-data', LOG_LEVEL: 'silent', LOGIN_THROTTLE_PER_ADDRESS: '100000', LOGIN_THROTTLE_PER_LOGIN_ID: '100000', ...env });
}

/** Collects log lines so tests can check what was (not) logged. */
export function memoryLogSink(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/**
 * An application on its own database, closed at teardown. Not yet `ready`, so a test may add
 * routes before the first `inject`.
 */
export async function buildTestApp(
  t: TestLike,
  opts: { env?: Record<string, string>; database?: DatabaseHandle; build?: BuildOptions; logLevel?: string } = {},
): Promise<{ app: FastifyInstance; database: DatabaseHandle; config: Readonly<Config>; logs: () => string[] }> {
  const database = opts.database ?? (await createTestDatabase(t));
  const config = testConfig(opts.env);
  const sink = memoryLogSink();
  const logger = createLogger(opts.logLevel ?? 'info', sink.stream);
  const app = await buildApp({ config, db: database.db, logger, secrets: TEST_SECRETS }, opts.build);
  t.teardown(() => app.close());
  return { app, database, config, logs: sink.lines };
}
