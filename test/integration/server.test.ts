import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Agent, request } from 'undici';
import { freePort, spawnServer } from '../helpers/processes.ts';

// The entry point as `npm start` runs it: a real process, real HTTPS listeners, a fresh data dir.

t.test('npm start: migrates, seeds, serves /readyz over HTTPS, prints the credentials, stops cleanly', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-start-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const server = spawnServer({ DATA_DIR: dataDir, PORT: String(port), MTLS_PORT: String(mtlsPort), LOG_LEVEL: 'warn' });
  t.teardown(() => server.child.kill('SIGKILL'));

  while (!server.out().includes('Stop with Ctrl+C')) {
    if (server.child.exitCode !== null) t.fail(`server exited early: ${server.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ca = await readFile(path.join(dataDir, 'tls', 'server.crt'), 'utf8');
  const agent = new Agent({ connect: { ca } });
  t.teardown(() => agent.close());
  for (const p of [port, mtlsPort]) {
    const res = await request(`https://localhost:${p}/readyz`, { dispatcher: agent });
    t.equal(res.statusCode, 200, `ready on ${p}`);
    await res.body.dump();
  }
  const out = server.out();
  t.match(out, /renkei is ready \(\d+ ms after start\)/);
  t.match(out, '1000000001 / Aozora2024 / Torihiki2024');
  t.match(out, '2000000001 / Hanako2024 / Hanakotx2024');
  t.match(out, `https://localhost:${port}/`);
  t.notMatch(server.err(), /error/i, 'nothing went wrong');
  const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
  t.ok(secrets.cookieKeys[0] && secrets.keyEncryptionKey, 'generated secrets are kept for the next start');

  server.child.kill('SIGTERM');
  const [code] = await server.exited;
  t.equal(code, 0, 'SIGTERM closes gracefully');
});

t.test('a bad environment stops the start with every problem listed', async (t) => {
  const server = spawnServer({ PORT: 'x', LOG_LEVEL: 'chatty', KEY_ENCRYPTION_KEY: 'tiny' });
  const [code] = await server.exited;
  t.equal(code, 2);
  t.match(server.err(), /PORT/);
  t.match(server.err(), /LOG_LEVEL/);
  t.match(server.err(), /KEY_ENCRYPTION_KEY/);
  t.notMatch(server.err(), /tiny/, 'secret values are not echoed');
});
