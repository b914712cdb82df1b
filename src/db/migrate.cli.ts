import { Migrator } from 'kysely/migration';
import { migrations } from '../../migrations/index.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { openConfiguredDb } from './create-db.ts';
import { migrateToLatest } from './migrate.ts';

/**
 * `npm run db:migrate` brings the database of DATABASE_URL (or the embedded one in DATA_DIR) to the
 * newest schema; `npm run db:migrate -- down` undoes the newest migration only (one step at a time,
 * on purpose: undoing more is a decision, not a flag).
 */
async function main(): Promise<number> {
  const direction = process.argv[2] ?? 'latest';
  if (direction !== 'latest' && direction !== 'down') {
    process.stderr.write('usage: npm run db:migrate [-- down]\n');
    return 64;
  }
  const config = loadConfig(process.env);
  // Migrations are not requests: no statement budget (a rewrite of a large table may take minutes).
  const handle = await openConfiguredDb(config, 2, { statementTimeoutMs: 0 });
  try {
    if (direction === 'latest') {
      const applied = await migrateToLatest(handle.db);
      process.stdout.write(applied.length ? `db:migrate: applied ${applied.join(', ')}\n` : 'db:migrate: already up to date\n');
    } else {
      const result = await new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations } }).migrateDown();
      if (result.error) throw result.error;
      const undone = (result.results ?? []).map((r) => r.migrationName);
      process.stdout.write(undone.length ? `db:migrate: undid ${undone.join(', ')}\n` : 'db:migrate: nothing to undo\n');
    }
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`db:migrate: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
