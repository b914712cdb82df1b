// knip: files nothing reaches, exports nobody imports, dependencies nobody uses (`npm run check:unused`).
import type { KnipConfig } from 'knip';

const config: KnipConfig = {
  entry: [
    // The programs (src/server.ts, src/cli.ts, src/db/migrate.cli.ts, src/db/seed/seed.cli.ts and
    // bench/run.ts) are entries already: knip reads them from the npm scripts that run them.
    // tap runs every test file (package.json "tap".include); knip has no tap plugin.
    'test/**/*.test.ts',
    // bench/run.ts spawns each server by path; profile-summary.ts is run by hand on a profile dir.
    'bench/servers/*.ts',
    'bench/lib/profile-summary.ts',
    // migrations/index.ts hands each module to Kysely as a whole, which calls up/down by name.
    'migrations/*.ts',
  ],
  project: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'migrations/**/*.ts'],
  // bench pins servers to CPUs with util-linux's taskset, a system binary rather than a package.
  ignoreBinaries: ['taskset'],
  // A type exported beside the code that uses it (a table interface next to `Database`, a row type
  // next to its query) documents the module's shape; values exported for nobody are still reported.
  ignoreExportsUsedInFile: { interface: true, type: true },
};

export default config;
