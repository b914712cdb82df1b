import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { Agent, request } from 'undici';
import { generateSelfSigned, loadServerTls } from '../../../src/tls/server-certificate.ts';
import { buildTestApp } from '../../helpers/build-app.ts';

const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-tls-'));
t.teardown(() => rm(dataDir, { recursive: true, force: true }));

t.test('a self-signed server certificate is generated once, kept, and reused', async (t) => {
  const first = await loadServerTls({ dataDir, hostnames: ['localhost'] });
  t.equal(first.source, 'generated');
  const cert = new X509Certificate(first.cert);
  t.ok(cert.checkHost('localhost'));
  t.ok(cert.checkIP('127.0.0.1'));
  t.ok(cert.checkIP('::1'));
  t.ok(Date.parse(cert.validTo) - Date.now() > 300 * 86_400_000, 'valid for about a year');
  t.equal((await stat(path.join(dataDir, 'tls', 'server.key'))).mode & 0o777, 0o600, 'the key is private to the owner');
  const second = await loadServerTls({ dataDir, hostnames: ['localhost'] });
  t.equal(second.source, 'reused');
  t.equal(second.cert, first.cert);
  const renamed = await loadServerTls({ dataDir, hostnames: ['bank.internal'] });
  t.equal(renamed.source, 'generated', 'a new host name needs a new certificate');
  t.ok(new X509Certificate(renamed.cert).checkHost('bank.internal'));
});

t.test('configured certificate files win', async (t) => {
  const own = await loadServerTls({ dataDir, hostnames: [] });
  const configured = await loadServerTls({
    dataDir: '/nonexistent', hostnames: [],
    certFile: path.join(dataDir, 'tls', 'server.crt'), keyFile: path.join(dataDir, 'tls', 'server.key'),
  });
  t.equal(configured.source, 'configured');
  t.equal(configured.cert, own.cert);
});

t.test('the main and mutual-TLS listeners serve HTTPS; only the latter asks for a client certificate', async (t) => {
  const server = await loadServerTls({ dataDir, hostnames: [] });
  const base = { key: server.key, cert: server.cert };
  const { app: main } = await buildTestApp(t, { build: { listener: 'main', https: base } });
  const { app: mtls } = await buildTestApp(t, { build: { listener: 'mtls', https: { ...base, requestCert: true, rejectUnauthorized: false } } });
  // Stands in for the certificate module of a later issue: report what the TLS layer received.
  // A client holding a certificate sends it only when the server's handshake asks for one.
  for (const app of [main, mtls]) {
    app.get('/probe/peer', async (req) => {
      const socket = req.raw.socket as tls.TLSSocket;
      const peer = socket.getPeerCertificate();
      return { presented: Boolean(peer && peer.fingerprint256), authorized: socket.authorized };
    });
  }
  await main.listen({ host: '127.0.0.1', port: 0 });
  await mtls.listen({ host: '127.0.0.1', port: 0 });
  const mainUrl = `https://localhost:${(main.server.address() as { port: number }).port}`;
  const mtlsUrl = `https://localhost:${(mtls.server.address() as { port: number }).port}`;

  const trusting = new Agent({ connect: { ca: server.cert } });
  t.teardown(() => trusting.close());
  const ready = await request(`${mainUrl}/readyz`, { dispatcher: trusting });
  t.equal(ready.statusCode, 200);
  t.same(await ready.body.json(), { status: 'ready', database: 'ok' });

  const untrusting = new Agent();
  t.teardown(() => untrusting.close());
  await t.rejects(request(`${mainUrl}/healthz`, { dispatcher: untrusting }), 'an unknown self-signed certificate is not trusted blindly');

  const client = await generateSelfSigned(['client.example']);
  const withCert = new Agent({ connect: { ca: server.cert, key: client.key, cert: client.cert } });
  t.teardown(() => withCert.close());
  const onMain = await request(`${mainUrl}/probe/peer`, { dispatcher: withCert });
  t.same(await onMain.body.json(), { presented: false, authorized: false }, 'the main origin never asks for a client certificate');
  const peer = await request(`${mtlsUrl}/probe/peer`, { dispatcher: withCert });
  t.same(await peer.body.json(), { presented: true, authorized: false }, 'the mutual-TLS origin asks; an untrusted certificate still reaches the application, which decides');
  const none = await request(`${mtlsUrl}/probe/peer`, { dispatcher: trusting });
  t.same(await none.body.json(), { presented: false, authorized: false }, 'no certificate is not a handshake failure');
  const landing = await request(`${mtlsUrl}/`, { dispatcher: trusting });
  t.equal(landing.statusCode, 404, 'the mutual-TLS origin serves only its own surfaces');
  await landing.body.dump();
});
