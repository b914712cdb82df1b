import tls from 'node:tls';
import t, { type Test } from 'tap';
import { Agent, fetch } from 'undici';
import { startAuthServer } from '../../helpers/auth-server.ts';

// A body the provider will not read in full must not leave the keep-alive connection waiting for the
// rest of it: the next request on that connection (here GET /healthz) is answered.

const server = await startAuthServer(t, { seed: false });
const ENDPOINTS = ['/oauth2/par', '/oauth2/token', '/oauth2/introspect', '/oauth2/revoke', '/oauth2/userinfo'];
const SIZES = { '200 KB': 200 * 1024, '3 MB': 3 * 1024 * 1024 };
// Guards the test run, not the server: a connection that stalls fails the assertion instead of the file.
const STALL_GUARD_MS = 10_000;

/** One connection per origin, reused for every request it can carry, as a partner's HTTP client does. */
function keepAliveClient(t: Test) {
  const agent = new Agent({ connect: { ca: server.ca }, connections: 1, pipelining: 1 });
  t.teardown(() => agent.close());
  return (url: string, init: Parameters<typeof fetch>[1] = {}) =>
    fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(STALL_GUARD_MS) });
}

const urlencoded = (bytes: number) => `grant_type=refresh_token&refresh_token=${'a'.repeat(bytes)}`;

for (const [origin, base] of [['main', server.issuer], ['mutual-TLS', server.mtlsUrl]] as const) {
  t.test(`${origin} origin: a body over the provider's limit is refused with 413 and the connection goes on`, async (t) => {
    const send = keepAliveClient(t);
    for (const path of ENDPOINTS) {
      for (const [label, bytes] of Object.entries(SIZES)) {
        const res = await send(`${base}${path}`, {
          method: 'POST', body: urlencoded(bytes), headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        t.equal(res.status, 413, `${path} ${label}: 413`);
        t.match(await res.json(), { error: 'invalid_request', error_description: String }, `${path} ${label}: OAuth error body`);
        const next = await send(`${base}/healthz`).then((r) => r.status, (err: Error) => err.name);
        t.equal(next, 200, `${path} ${label}: the next request on the connection is answered`);
      }
    }
  });
}

/**
 * Writes a request with a body and then `GET /healthz` on the same raw TLS connection, as an HTTP/1.1
 * client that keeps its connection does, and reports what came back before the server closed the
 * connection or the guard ran out: a stalled connection answers the first request only and stays open.
 */
async function bodyThenHealthz(base: string, path: string, bytes: number) {
  const url = new URL(base);
  const socket = tls.connect({ host: '127.0.0.1', port: Number(url.port), servername: 'localhost', ca: server.ca });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { received += d; });
  const body = urlencoded(bytes);
  const host = `Host: ${url.host}\r\n`;
  socket.write(`POST ${path} HTTP/1.1\r\n${host}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body);
  socket.write(`GET /healthz HTTP/1.1\r\n${host}\r\n`);
  const outcome = await new Promise<'closed' | 'stalled'>((resolve) => {
    const guard = setTimeout(() => resolve('stalled'), STALL_GUARD_MS);
    const done = () => { clearTimeout(guard); resolve('closed'); };
    socket.on('close', done);
    socket.on('data', () => { if ((received.match(/^HTTP\/1\.1 /gm) ?? []).length >= 2) done(); });
    socket.on('error', () => {});
  });
  socket.destroy();
  const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  return { outcome, statuses, closeAnnounced: /^connection: close\r$/im.test(received) };
}

for (const [origin, base] of [['main', server.issuer], ['mutual-TLS', server.mtlsUrl]] as const) {
  t.test(`${origin} origin: after an oversized body the connection is closed or carries the next request`, async (t) => {
    for (const path of ENDPOINTS) {
      for (const [label, bytes] of Object.entries(SIZES)) {
        const r = await bodyThenHealthz(base, path, bytes);
        t.ok(r.outcome === 'closed', `${path} ${label}: no stalled connection (${r.outcome}, answers ${r.statuses.join(',') || 'none'})`);
        if (r.statuses.length === 1) t.ok(r.closeAnnounced, `${path} ${label}: the one answer announces the close`);
        else t.same(r.statuses.slice(1), [200], `${path} ${label}: the next request is answered`);
        if (r.statuses.length) t.equal(r.statuses[0], 413, `${path} ${label}: 413`);
      }
    }
  });
}

t.test('a chunked body that turns out too large closes the connection after the answer', async (t) => {
  const send = keepAliveClient(t);
  const chunk = new TextEncoder().encode('a'.repeat(16 * 1024));
  let left = 200 * 1024;
  const body = new ReadableStream<Uint8Array>({
    start(c) { c.enqueue(new TextEncoder().encode('grant_type=refresh_token&refresh_token=')); },
    pull(c) {
      if (left <= 0) return c.close();
      left -= chunk.length;
      c.enqueue(chunk);
    },
  });
  const res = await send(`${server.issuer}/oauth2/token`, {
    method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }).then((r) => r, (err: Error) => err);
  if (res instanceof Error) {
    // The server may close while the client is still sending: then the client sees the close.
    t.notMatch(res.name, /TimeoutError|AbortError/, `refused without a stall (${res.message})`);
  } else {
    t.equal(res.status, 400, 'the provider refuses it');
    t.equal(res.headers.get('connection'), 'close', 'and says the connection ends');
    await res.arrayBuffer();
  }
  const next = await send(`${server.issuer}/healthz`).then((r) => r.status, (err: Error) => err.name);
  t.equal(next, 200, 'the next request is answered');
});

t.test('a request whose body was read keeps its connection', async (t) => {
  const send = keepAliveClient(t);
  const res = await send(`${server.issuer}/oauth2/token`, {
    method: 'POST', body: 'grant_type=refresh_token&refresh_token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(res.status, 400, 'refused (no client authentication)');
  t.not(res.headers.get('connection'), 'close', 'keep-alive stays on');
  await res.arrayBuffer();
  const discovery = await send(`${server.issuer}/.well-known/openid-configuration`);
  t.equal(discovery.status, 200);
  t.not(discovery.headers.get('connection'), 'close', 'a GET keeps its connection');
  await discovery.arrayBuffer();
});
