import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { WorkerTask } from './transfers-worker.ts';

/**
 * Starts transfers-worker.ts processes on one PostgreSQL database, waits until every one has its pool
 * open, then tells them all to go at once. Each stops at teardown by its own process id.
 */

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface Worker {
  pid: number;
  /** The JSON line the worker printed after `go`. */
  result: Promise<unknown>;
  kill(): Promise<void>;
}

const WORKER = path.join(import.meta.dirname, 'transfers-worker.ts');

function start(t: TestLike, task: WorkerTask): Promise<{ child: ChildProcess; worker: Worker }> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(task)], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return new Promise((resolve, reject) => {
    let readySeen = false;
    let settle: ((v: unknown) => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const result = new Promise<unknown>((res, rej) => { settle = res; fail = rej; });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      if (!readySeen && lines.includes('ready')) {
        readySeen = true;
        resolve({
          child,
          worker: {
            pid: child.pid!, result,
            async kill() {
              child.kill('SIGKILL');
              await exited;
            },
          },
        });
      }
      const json = lines.find((l) => l.startsWith('{') || l.startsWith('['));
      if (json) settle!(JSON.parse(json));
    });
    child.once('exit', (code, signal) => {
      const e = new Error(`worker ${child.pid} exited (${code ?? signal}) before answering: ${err.slice(-2000)}`);
      if (!readySeen) reject(e);
      else fail!(e);
    });
  });
}

/** Starts every task's process, and once all are ready sends them `go` together. */
export async function runWorkers(t: TestLike, tasks: WorkerTask[]): Promise<Worker[]> {
  const started = await Promise.all(tasks.map((task) => start(t, task)));
  for (const s of started) s.child.stdin!.write('go\n');
  // Nothing is caught on a killed worker's result: mark it handled.
  for (const s of started) s.worker.result.catch(() => {});
  return started.map((s) => s.worker);
}
