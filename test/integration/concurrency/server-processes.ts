import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { AuthServer } from '../../helpers/auth-server.ts';
import { TEST_SECRETS } from '../../helpers/build-app.ts';
import type { DatabaseHandle } from '../../../src/db/create-db.ts';
import { freePort } from '../../helpers/processes.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** One `node src/server.ts` child process, as `npm start` runs it, and how to reach it. */
export interface ServerProcess {
  pid: number;
  /** The process's own main listener (the public origin is shared, as behind a load balancer). */
  url: string;
  /** fetch that trusts this process's certificate and sends requests for the public origins to this process. */
  fetch: typeof undiciFetch;
  /** The shape the journey helpers (fapi.ts, journey-driver.ts) take, pointed at this process. */
  server: AuthServer;
  output: () => string;
}

const REPO = path.resolve(import.meta.dirname, '../../..');
/** How long a child may take to open the database and listen on a loaded 2-core machine. */
const START_LIMIT_MS = 90_000;

/**
 * `count` separate server processes on one PostgreSQL database (already migrated and seeded by the test),
 * sharing the public origin, the secrets and the configuration, each on its own loopback ports with its
 * own data directory. Started one after the other (start-up writes signing keys); stopped at teardown by
 * their process ids.
 */
export async function startServerProcesses(t: TestLike, database: DatabaseHandle & { url?: string }, count: number, env: Record<string, string> = {}): Promise<ServerProcess[]> {
  if (!database.url) throw new Error('server processes need a PostgreSQL database (DATABASE_URL)');
  const ports = await Promise.all(Array.from({ length: count * 2 }, freePort));
  const publicUrl = `https://localhost:${ports[0]}`;
  const processes: ServerProcess[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'renkei-proc-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['src/server.ts'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1',
        PORT: String(ports[i * 2]), MTLS_PORT: String(ports[i * 2 + 1]),
        PUBLIC_URL: publicUrl, MTLS_PUBLIC_URL: `https://localhost:${ports[1]}`,
        DATABASE_URL: database.url, DATABASE_POOL_SIZE: '8', DATA_DIR: dataDir,
        COOKIE_KEYS: TEST_SECRETS.cookieKeys.join(','), KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey.toString('base64url'),
        MIGRATE_ON_START: 'false', SEED_DEMO_DATA: 'false', JOBS: 'false', LOG_LEVEL: 'info',
        LOGIN_THROTTLE_PER_ADDRESS: '100000', LOGIN_THROTTLE_PER_LOGIN_ID: '100000',
        ...env,
      },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    t.teardown(() => stop(child));
    await ready(child, () => output);
    const ca = await readFile(path.join(dataDir, 'tls', 'server.crt'), 'utf8');
    // A load balancer: connections for the public origins go to this process's listeners, and the request
    // keeps the public URL (and so the public Host), as the processes would see it behind one.
    const route: Record<string, string> = { [String(ports[0])]: String(ports[i * 2]), [String(ports[1])]: String(ports[i * 2 + 1]) };
    const connector = buildConnector({ ca });
    const agent = new Agent({ connect: (opts, cb) => connector({ ...opts, port: route[opts.port] ?? opts.port }, cb) });
    t.teardown(() => agent.close());
    const own = `https://localhost:${ports[i * 2]}`;
    const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
    const server = { issuer: publicUrl, mtlsUrl: `https://localhost:${ports[1]}`, database, fetch, ca, logs: () => output.split('\n') } as unknown as AuthServer;
    processes.push({ pid: child.pid!, url: own, fetch, server, output: () => output });
  }
  return processes;
}

/** Resolves once the child logs that it listens; rejects with its output if it exits first. */
async function ready(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_LIMIT_MS;
  while (!output().includes('"renkei ready"')) {
    if (child.exitCode !== null) throw new Error(`server process exited with ${child.exitCode}:\n${output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`server process not ready:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the child by its id: a graceful SIGTERM, then SIGKILL if it does not exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A browser-like client of internet banking over real HTTP: a cookie jar, the page's form token, forms. */
export class HttpIbClient {
  readonly cookies = new Map<string, string>();
  private csrf = '';
  private readonly fetch: typeof undiciFetch;
  private readonly base: string;

  constructor(p: ServerProcess) {
    this.fetch = p.fetch;
    this.base = p.server.issuer;
  }

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>): Promise<{ statusCode: number; body: string; location: string | null }> {
    const body = form ? new URLSearchParams() : undefined;
    if (form && body) {
      if (!('_csrf' in form)) body.append('_csrf', this.csrf);
      for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
    }
    const res = await this.fetch(new URL(url, this.base), {
      method, redirect: 'manual', body,
      headers: {
        accept: 'text/html', cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || pair!.slice(eq + 1) === '') this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { statusCode: res.status, body: text, location: res.headers.get('location') };
  }

  /** The same browser (cookies, form token) talking to another process, as a load balancer would send it. */
  on(p: ServerProcess): HttpIbClient {
    const other = new HttpIbClient(p);
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
    other.csrf = this.csrf;
    return other;
  }

  get(url: string) {
    return this.request('GET', url);
  }

  post(url: string, form: Record<string, string | string[]>) {
    return this.request('POST', url, form);
  }

  async login(loginId: string, password: string) {
    await this.get('/ib/login');
    return this.post('/ib/login', { loginId, password });
  }
}
