import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of every process whose command line matches (e.g. the PostgreSQL cluster). */
export function cpuSecondsOf(match: RegExp): number {
  const out = spawnSync('pgrep', ['-f', match.source], { encoding: 'utf8' }).stdout.trim();
  return out.split('\n').filter(Boolean).reduce((sum, pid) => {
    try {
      return sum + cpuSeconds(Number(pid));
    } catch {
      return sum;
    }
  }, 0);
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a server pinned to core 0 (when taskset exists) and waits until `readyUrl` answers 200.
 * The benchmark only ever stops what it started, by PID.
 */
export async function startServer(cmd: string[], env: Record<string, string>, readyUrl: string): Promise<ServerProcess> {
  const argv = HAS_TASKSET ? ['taskset', '-c', '0', ...cmd] : cmd;
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
  // Readiness over the server's self-signed certificate, on loopback only.
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd.join(' ')} exited with ${child.exitCode}`);
    try {
      const res = await request(readyUrl, { dispatcher: insecure });
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await insecure.close();
      throw new Error(`${cmd.join(' ')} did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await insecure.close();
  return {
    child,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(timer);
    },
  };
}
