import { spawn, type ChildProcess } from 'node:child_process';
import { HAS_TASKSET } from './server-process.ts';

/**
 * A bench server with a control channel (Node IPC): it says `{ type: 'ready' }` once listening, answers
 * `{ id, cmd, … }` requests with `{ id, … }`, and may push other messages (per-request traces). Pinned
 * to core 0 like every bench server; only ever stopped by its own PID.
 */
export interface IpcServer {
  pid: number;
  child: ChildProcess;
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** Messages the server pushed without being asked. */
  onMessage(fn: (msg: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

export async function startIpcServer(cmd: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<IpcServer> {
  const argv = HAS_TASKSET ? ['taskset', '-c', '0', ...cmd] : cmd;
  // taskset execs node, which finds the IPC channel through NODE_CHANNEL_FD.
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  const listeners: ((msg: Record<string, unknown>) => void)[] = [];
  let seq = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${cmd.join(' ')} exited`));
    resolve();
  }));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} did not become ready`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd.join(' ')} exited with ${code}`)); });
    child.on('message', (raw) => {
      const msg = raw as Record<string, unknown>;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (typeof msg.id === 'number' && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (typeof msg.error === 'string') p.reject(new Error(msg.error));
        else p.resolve(msg as never);
      } else {
        for (const l of listeners) l(msg);
      }
    });
  });
  try {
    await ready;
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw err;
  }
  return {
    pid: child.pid!,
    child,
    call(command, args = {}) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: never) => void, reject });
        child.send({ id, cmd: command, ...args });
      });
    },
    onMessage(fn) {
      listeners.push(fn);
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * Server side: answers control requests; `handlers[cmd](args)` returns the reply's fields. Built in:
 * `profileStart` / `profileStop { file }`, a V8 CPU profile of exactly the window between them.
 */
export function serveIpc(handlers: Record<string, (args: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>>): void {
  let session: import('node:inspector/promises').Session | undefined;
  const builtIn: typeof handlers = {
    async profileStart() {
      const { Session } = await import('node:inspector/promises');
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      return {};
    },
    async profileStop(args) {
      const { profile } = await session!.post('Profiler.stop');
      session!.disconnect();
      const { mkdir, writeFile } = await import('node:fs/promises');
      const { dirname } = await import('node:path');
      await mkdir(dirname(String(args.file)), { recursive: true });
      await writeFile(String(args.file), JSON.stringify(profile));
      return {};
    },
  };
  process.on('message', (raw) => {
    const msg = raw as { id: number; cmd: string } & Record<string, unknown>;
    const handler = handlers[msg.cmd] ?? builtIn[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd}`);
        return handler(msg);
      })
      .then((reply) => process.send!({ ...reply, id: msg.id }))
      .catch((err: unknown) => process.send!({ id: msg.id, error: err instanceof Error ? err.stack ?? err.message : String(err) }));
  });
}
