import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// The entry point with scheduled work (DESIGN §16): JOBS=true (the default) starts pg-boss after the
// listeners and stops it on SIGTERM before the database closes; JOBS=false serves without it.
t.setTimeout(400_000);
const SERVER = fileURLToPath(new URL('../../../src/server.ts', import.meta.url));

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  return port;
}

async function runServer(t: { teardown(fn: () => unknown): void }, env: Record<string, string>, until: RegExp) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-jobs-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [SERVER], {
    // The embedded default, whatever the runner's DATABASE_URL.
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', DATA_DIR: dataDir, PORT: String(port), MTLS_PORT: String(mtlsPort), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  while (!until.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  const [code] = await exited;
  return { code, out, err };
}

t.test('JOBS=true (default): scheduled work starts after the listeners and stops with SIGTERM', async (t) => {
  const r = await runServer(t, {}, /scheduled work started/);
  t.match(r.out, /renkei ready[\s\S]*scheduled work started/, 'after the listeners');
  t.equal(r.code, 0, 'closes gracefully');
  t.notMatch(r.out + r.err, /"level":50/, 'no error');
  t.notMatch(r.out, /scheduled work did not stop|pg-boss reported/, 'no trouble with the scheduler');
});

t.test('JOBS=false: serves without scheduled work', async (t) => {
  const r = await runServer(t, { JOBS: 'false' }, /Stop with Ctrl\+C/);
  t.notMatch(r.out, /scheduled work/);
  t.equal(r.code, 0);
});
