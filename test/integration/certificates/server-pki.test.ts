import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { Agent, request } from 'undici';

// The entry point as `npm start` runs it: the CA is created on the first start, served at /pki/*, and
// is what the mutual-TLS listener asks client certificates for.

const SERVER = fileURLToPath(new URL('../../../src/server.ts', import.meta.url));
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  return port;
}

t.test('npm start creates the bank CA, serves it and its CRL, and the mutual-TLS listener names it', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-pki-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '', DATA_DIR: dataDir, PORT: String(port), MTLS_PORT: String(mtlsPort), LOG_LEVEL: 'warn', SEED_DEMO_DATA: 'false', JOBS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = once(child, 'exit');
  t.teardown(() => child.kill('SIGKILL'));
  while (!out.includes('Stop with Ctrl+C')) {
    if (child.exitCode !== null) t.fail(`server exited early: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const agent = new Agent({ connect: { ca: await readFile(path.join(dataDir, 'tls', 'server.crt'), 'utf8') } });
  t.teardown(() => agent.close());

  const caRes = await request(`https://localhost:${port}/pki/ca.crt`, { dispatcher: agent });
  t.equal(caRes.statusCode, 200);
  const [issuing, root] = x509.PemConverter.decode(await caRes.body.text()).map((d) => new x509.X509Certificate(d));
  t.equal(issuing?.subject, 'C=JP, O=Renkei Bank, CN=Renkei Bank Client Issuing CA 1');
  t.ok(await root?.isSelfSigned());

  const crlRes = await request(`https://localhost:${port}/pki/crl`, { dispatcher: agent });
  t.equal(crlRes.statusCode, 200);
  t.equal(crlRes.headers['content-type'], 'application/pkix-crl');
  const crl = new x509.X509Crl(Buffer.from(await crlRes.body.arrayBuffer()));
  t.ok(await crl.verify({ publicKey: issuing!.publicKey }), 'the CRL is signed by the issuing CA');

  const sClient = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${mtlsPort} -servername localhost </dev/null 2>/dev/null`]);
  t.match(sClient.stdout, /Acceptable client certificate CA names[\s\S]*CN ?= ?Renkei Bank Client Issuing CA 1/, 'the mutual-TLS listener asks for certificates of the bank CA');
  const main = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null`]);
  t.notMatch(main.stdout, /Acceptable client certificate CA names/, 'the main listener asks for none');
  t.notMatch(err, /error/i);

  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0);
});
