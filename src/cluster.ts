import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/** Worker → primary: both listeners are open. */
export const WORKER_READY = 'renkei:worker-ready';
/** Primary → worker: close gracefully (a message, not a signal: a Ctrl+C already signals the whole group). */
export const WORKER_SHUTDOWN = 'renkei:worker-shutdown';

/** Replacements within this window back off: 0.5 s, 1 s, 2 s … up to 30 s, never a tight loop. */
const BACKOFF_WINDOW_MS = 60_000;
const BACKOFF_MAX_MS = 30_000;

/**
 * WORKERS > 1: this primary process opens no database and serves nothing itself. It forks the workers,
 * each a whole renkei (src/server.ts); node:cluster shares the listening sockets, and on Linux the primary
 * accepts the connections and hands them to the workers in turn (round-robin, SCHED_RR).
 *
 * The first worker starts alone, so everything a first start creates is created once: migrations, the
 * bank CA, the generated TLS certificate and secrets files. The others start after it is ready and find
 * all of it in place; they run no migrations and no scheduled work (JOBS=false: one runner is enough),
 * and print no banner. A worker that dies is logged and replaced with the same role after a backoff.
 * SIGTERM / SIGINT ask every worker to close (close-with-grace in each), then the primary exits.
 */
export function superviseWorkers(opts: { count: number; graceMs: number; logger: Logger }): void {
  const { count, graceMs, logger } = opts;
  cluster.schedulingPolicy = cluster.SCHED_RR; // the Linux default, stated: even spread of connections
  const roles = new Map<number, Record<string, string>>();
  const ready = new Set<number>();
  const deaths: number[] = [];
  let firstReady = false;
  let stopping = false;

  const fork = (env: Record<string, string>): Worker => {
    const worker = cluster.fork(env);
    roles.set(worker.id, env);
    worker.on('message', (msg) => {
      if (msg !== WORKER_READY) return;
      ready.add(worker.id);
      if (!firstReady) {
        firstReady = true;
        for (let i = 1; i < count; i++) fork({ JOBS: 'false', MIGRATE_ON_START: 'false' });
      }
      if (ready.size === count) logger.info({ workers: count }, 'renkei workers ready');
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const env = roles.get(worker.id) ?? {};
    roles.delete(worker.id);
    ready.delete(worker.id);
    if (stopping) return;
    if (!firstReady) {
      // The first start failed (database unreachable, bad files): its own error is on stderr already.
      logger.fatal({ worker: worker.id, code, signal }, 'the first worker did not start');
      process.exit(code || 1);
    }
    const now = Date.now();
    while (deaths.length > 0 && now - deaths[0]! > BACKOFF_WINDOW_MS) deaths.shift();
    deaths.push(now);
    const delayMs = Math.min(BACKOFF_MAX_MS, 500 * 2 ** (deaths.length - 1));
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, delayMs }, 'worker exited; replacing it');
    setTimeout(() => {
      if (!stopping) fork(env);
    }, delayMs);
  });

  // Each worker has SHUTDOWN_GRACE_MS to close; the primary waits a little longer for their exits.
  closeWithGrace({ delay: graceMs + 2_000, logger }, async ({ signal, err }) => {
    stopping = true;
    if (err) logger.error({ err }, 'primary closing after an unexpected error');
    else logger.info({ signal }, 'shutting down the workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(alive.map(async (w) => {
      const exited = once(w, 'exit');
      if (w.isConnected()) w.send(WORKER_SHUTDOWN);
      await exited;
    }));
  });

  logger.info({ workers: count, pid: process.pid }, 'starting workers');
  // The first worker keeps the configured JOBS and MIGRATE_ON_START.
  fork({});
}
