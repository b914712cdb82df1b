import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Agent, request } from 'undici';
import { createTestDatabase, testDatabaseUrl } from '../helpers/database.ts';
import { freePort, spawnServer } from '../helpers/processes.ts';

// WORKERS=2 (src/cluster.ts): one primary, two renkei workers behind the same listeners, one database.

/** How long a start may take on a loaded 2-core machine. */
const START_LIMIT_MS = 90_000;

/** The JSON log lines with this message. */
function lines(out: string, msg: string): Record<string, unknown>[] {
  return out.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(what: string, ok: () => boolean, server: ReturnType<typeof spawnServer>): Promise<void> {
  const deadline = Date.now() + START_LIMIT_MS;
  while (!ok()) {
    if (server.child.exitCode !== null) throw new Error(`exited with ${server.child.exitCode} before ${what}:\n${server.err()}\n${server.out().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no ${what}:\n${server.out().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('WORKERS > 1 is refused without PostgreSQL, and beside the demo', async (t) => {
  const embedded = spawnServer({ WORKERS: '2' });
  const [code] = await embedded.exited;
  t.equal(code, 2, 'a configuration error');
  t.match(embedded.err(), /WORKERS: more than 1 needs DATABASE_URL \(PostgreSQL\)/);

  const demo = spawnServer({ WORKERS: '2', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', SEED_DEMO_DATA: 'true' });
  const [demoCode] = await demo.exited;
  t.equal(demoCode, 2);
  t.match(demo.err(), /WORKERS: more than 1 cannot serve the demo/);
});

t.test('two workers on one PostgreSQL database: first start once, both serve, a dead one is replaced, SIGTERM ends all', { skip: testDatabaseUrl ? false : 'PostgreSQL only (DATABASE_URL): workers cannot share an in-process PGlite database' }, async (t) => {
  t.setTimeout(300_000);
  // Not migrated: the first worker's start must do it, once.
  const database = await createTestDatabase(t, { migrate: false });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-cluster-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const server = spawnServer({
    WORKERS: '2', DATABASE_URL: database.url!, DATABASE_POOL_SIZE: '4', DATA_DIR: dataDir,
    PORT: String(port), MTLS_PORT: String(mtlsPort), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '5000',
  });
  t.teardown(() => {
    // After a failure midway: the primary and the workers it logged (its children while it runs; they also
    // exit by themselves when the primary's channel closes).
    if (server.child.exitCode !== null || server.child.signalCode !== null) return;
    for (const l of lines(server.out(), 'renkei ready')) if (alive(l.pid as number)) process.kill(l.pid as number, 'SIGKILL');
    server.child.kill('SIGKILL');
  });
  await until('"renkei workers ready"', () => server.out().includes('"renkei workers ready"'), server);
  await until('scheduled work', () => server.out().includes('"scheduled work started"'), server);

  const out = server.out();
  const ready = lines(out, 'renkei ready');
  const workers = ready.map((l) => l.pid as number);
  t.equal(new Set(workers).size, 2, 'two worker processes');
  t.notOk(workers.includes(server.child.pid!), 'the primary serves nothing itself');
  t.equal(lines(out, 'migrations applied').length, 1, 'migrated once');
  t.same(lines(out, 'bank CA loaded').map((l) => l.ca).sort(), ['generated', 'stored'], 'the bank CA created once, then read');
  t.equal((await database.db.selectFrom('bank_ca').select('name').execute()).length, 1, 'one CA in the database');
  t.equal(lines(out, 'scheduled work started').length, 1, 'one jobs runner');
  t.equal(out.split('Stop with Ctrl+C').length - 1, 1, 'the banner once');

  // Round-robin: each new connection goes to the next worker; every request is logged with its worker's pid.
  const ca = await readFile(path.join(dataDir, 'tls', 'server.crt'), 'utf8');
  for (let i = 0; i < 10; i++) {
    const agent = new Agent({ connect: { ca } });
    const res = await request(`https://localhost:${port}/.well-known/openid-configuration`, { dispatcher: agent });
    t.equal(res.statusCode, 200);
    await res.body.dump();
    await agent.close();
  }
  await until('request lines', () => lines(server.out(), 'request completed').length >= 10, server);
  const answered = new Set(lines(server.out(), 'request completed').map((l) => l.pid as number));
  t.same([...answered].sort(), [...workers].sort(), 'both workers answered');

  // A worker that dies is replaced (after a backoff), with no second banner.
  process.kill(workers[1]!, 'SIGKILL');
  await until('a replacement', () => lines(server.out(), 'renkei ready').length === 3, server);
  t.match(server.out(), /"msg":"worker exited; replacing it"/);
  t.notOk(alive(workers[1]!), 'the dead worker is gone');
  t.equal(server.out().split('Stop with Ctrl+C').length - 1, 1, 'still one banner');
  const all = lines(server.out(), 'renkei ready').map((l) => l.pid as number);

  server.child.kill('SIGTERM');
  const [code] = await server.exited;
  t.equal(code, 0, 'SIGTERM closes every worker, then the primary');
  t.same(all.filter(alive), [], 'no worker process left behind');
  t.notMatch(server.err(), /error/i, 'nothing went wrong');
});
