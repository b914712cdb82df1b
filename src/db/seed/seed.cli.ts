import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { openConfiguredDb } from '../create-db.ts';
import { migrateToLatest } from '../migrate.ts';
import { formatDemoCredentials } from './demo-data.ts';
import { seedDemoData, type SeedSummary } from './seed.ts';

/**
 * `npm run db:seed`: migrates, then inserts the demo data of DESIGN §9 into the configured database
 * (DATABASE_URL, or the embedded one under DATA_DIR), with INITIAL_ACCESS_TOKEN as the demo partner's
 * token when it is set. Safe to run again: it only adds what is missing.
 * Prints a one-line summary, then the demo credentials (§9: "print the credentials").
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const handle = await openConfiguredDb(config, 2);
  try {
    await migrateToLatest(handle.db);
    const started = performance.now();
    const summary = await seedDemoData(handle.db, { initialAccessToken: config.initialAccessToken });
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`${describe(summary, handle.kind)} in ${ms} ms\n${formatDemoCredentials().join('\n')}\n`);
  } finally {
    await handle.close();
  }
}

function describe(s: SeedSummary, kind: string): string {
  const { today, ...counts } = s;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return `db:seed: demo data already present (${kind}), nothing inserted`;
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  return `db:seed: inserted ${parts.join(', ')} (${kind}, statements up to ${today})`;
}

main().catch((err: unknown) => {
  // A ConfigError's message already lists every problem, one per line.
  const message = err instanceof ConfigError ? err.message : `seeding failed: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`db:seed: ${message}\n`);
  process.exitCode = 1;
});
