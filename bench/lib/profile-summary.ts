import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `node bench/lib/profile-summary.ts DIR [frame-regex…]`: where a server's CPU went, from the V8 CPU
 * profile(s) in DIR (node --cpu-prof; `BENCH_CPU_PROF=dir npm run bench -- token`). Self time by
 * package and by function, and the inclusive time of frames whose "function file" matches a regex.
 */
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const dir = process.argv[2];
if (!dir) throw new Error('usage: profile-summary.ts DIR [regex…]');
const frames = process.argv.slice(3).map((r) => new RegExp(r));
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = (n: Node) => {
    const url = n.callFrame.url;
    const nm = url.split('/node_modules/').pop()!;
    if (url.includes('/node_modules/')) return nm.startsWith('@') ? nm.split('/').slice(0, 2).join('/') : nm.split('/')[0]!;
    if (url.includes('/work/main/')) return url.split('/work/main/')[1]!;
    return url.startsWith('node:') ? url : url || `(${n.callFrame.functionName || 'native'})`;
  };
  const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/node_modules/').pop()!.split('/work/main/').pop()}:${n.callFrame.lineNumber + 1}`;
  const total = p.timeDeltas.reduce((a, b) => a + b, 0);
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const incl = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + dt);
    pkg.set(where(n), (pkg.get(where(n)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      if (frames.some((r) => r.test(l))) incl.set(l, (incl.get(l) ?? 0) + dt);
    }
  });
  // Categories: the first rule matching any frame of the sample's stack (leaf to root) wins.
  const rules: [string, RegExp][] = [
    ['database (kysely, pg, adapter, repositories)', /node_modules\/(kysely|pg|pg-pool|pg-protocol)\/|src\/oidc\/adapter\.ts|\.repository\.ts|src\/db\//],
    ['logging (pino)', /node_modules\/(pino|@pinojs|sonic-boom)\/|src\/shared\/logger\.ts/],
    ['crypto (jose, node:crypto, WebCrypto)', /node_modules\/jose\/|node:internal\/crypto|^(run|SignJob|VerifyJob|keyDetail|init) /],
    ['oidc-provider + koa', /node_modules\/(oidc-provider|koa|@koa|koa-compose)\//],
    ['fastify + middie + app hooks', /node_modules\/(fastify|@fastify|avvio|find-my-way|light-my-request)\/|src\//],
    ['http/tls/net (node)', /node:(_http|_tls|net|internal\/stream|internal\/http|https|tls|internal\/tls)/],
  ];
  const cats = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      stack.push(`${n.callFrame.functionName} ${n.callFrame.url}`);
    }
    const leaf = byId.get(id)!.callFrame.functionName;
    const cat = ['(idle)', '(garbage collector)', '(program)'].includes(leaf) ? leaf : rules.find(([, r]) => stack.some((f) => r.test(f)))?.[0] ?? 'other';
    cats.set(cat, (cats.get(cat) ?? 0) + dt);
  });
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
  process.stdout.write(`\n${f}: ${(total / 1e6).toFixed(1)} s sampled\nself time by package/file:\n`);
  for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`  ${pct(v)} ${k}\n`);
  process.stdout.write('by category (stack-based):\n');
  for (const [k, v] of [...cats].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${pct(v)} ${k}\n`);
  process.stdout.write('top functions (self):\n');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`  ${pct(v)} ${k}\n`);
  if (frames.length) {
    process.stdout.write('inclusive:\n');
    for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`  ${pct(v)} ${k}\n`);
  }
}
