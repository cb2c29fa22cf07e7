/**
 * Posture agent benchmark, run by hand: `bash scripts/node.sh bench/agent/collect-bench.ts`.
 * Cold collection (every tool run afresh) next to its peers — the slowest single tool and systeminformation alone —
 * and the cached read that logon and the UI use. Goals (issue 4): cached read < 1 ms, cold collection < 2 s.
 */
import { cpus, loadavg } from 'node:os';
import { collectPosture, PostureAgent } from '../../agent/collect.ts';
import { createExecFileRunner, type CommandRunner } from '../../agent/runner.ts';
import { systemInformation } from '../../agent/system-info.ts';

const ROUNDS = 5;
const READS = 200_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

/** Wraps the real runner to time each command and file read. */
function timedRunner(into: Map<string, number[]>): CommandRunner {
  const real = createExecFileRunner();
  const time = async <T>(key: string, p: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await p();
    } finally {
      const list = into.get(key) ?? [];
      list.push(performance.now() - t);
      into.set(key, list);
    }
  };
  return {
    run: (file, args, opts) => time([file, ...args].join(' '), () => real.run(file, args, opts)),
    readFile: (path, opts) => time(`read ${path}`, () => real.readFile(path, opts)),
    exists: (path) => real.exists(path),
  };
}

console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

// Warm the module graph and systeminformation's own lazy state once; every round below is still a full collection.
await collectPosture();

const cold: number[] = [];
const perTool = new Map<string, number[]>();
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  await collectPosture({ runner: timedRunner(perTool) });
  cold.push(performance.now() - t);
}

const slowest = [...perTool.entries()].map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1]);
const aptAlone: number[] = [];
const siAlone: number[] = [];
const runner = createExecFileRunner();
for (let i = 0; i < ROUNDS; i++) {
  let t = performance.now();
  await runner.run(slowest[0]![0].split(' ')[0]!, slowest[0]![0].split(' ').slice(1));
  aptAlone.push(performance.now() - t);
  t = performance.now();
  await Promise.all([systemInformation.osInfo(), systemInformation.uuid(), systemInformation.system()]);
  siAlone.push(performance.now() - t);
}

const agent = new PostureAgent({ ttlMs: 3_600_000 });
await agent.get();
const readCurrent = (): number => {
  const t = process.hrtime.bigint();
  let n = 0;
  for (let i = 0; i < READS; i++) if (agent.current()) n++;
  if (n !== READS) throw new Error('cache miss');
  return Number(process.hrtime.bigint() - t) / READS;
};
const readGet = async (): Promise<number> => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < READS; i++) await agent.get();
  return Number(process.hrtime.bigint() - t) / READS;
};
const current: number[] = [];
const get: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  current.push(readCurrent());
  get.push(await readGet());
}

console.log(`\n(median of ${ROUNDS} rounds)                                   median      min      max`);
console.log(`cold collection, all 9 facts                        ${fmt(median(cold))} ${fmt(Math.min(...cold))} ${fmt(Math.max(...cold))}`);
console.log(`  peer: slowest tool alone (${slowest[0]![0].slice(0, 22)})  ${fmt(median(aptAlone))} ${fmt(Math.min(...aptAlone))} ${fmt(Math.max(...aptAlone))}`);
console.log(`  peer: systeminformation osInfo+uuid+system alone ${fmt(median(siAlone))} ${fmt(Math.min(...siAlone))} ${fmt(Math.max(...siAlone))}`);
console.log(`cached read, agent.current()                        ${(median(current) / 1e6).toFixed(6)} ms (${median(current).toFixed(1)} ns)`);
console.log(`cached read, await agent.get() while fresh          ${(median(get) / 1e6).toFixed(6)} ms (${median(get).toFixed(1)} ns)`);
console.log('\nper tool inside a cold collection (median ms; the tools run concurrently):');
for (const [k, v] of slowest.slice(0, 8)) console.log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
