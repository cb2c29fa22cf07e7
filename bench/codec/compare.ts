// Compares one fix/ codec loop of this tree against another tree's, in one process, so both see the same
// machine load (a shared machine swings full bench:codec runs by ±10 %). Rounds alternate base, this, base;
// the figure is the median of the per-round ratios this / mean(base before, base after). The loops are
// bench:codec's product paths, each tree running its own fix/codec, fix/validate and fix/protocol:
//   mkdir -p /tmp/base && git archive <commit> fix bench | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
//   bash scripts/node.sh bench/codec/compare.ts /tmp/base encode|fields|decode|view [rounds]
import { resolve } from 'node:path';
import * as codec from '../../fix/codec.ts';
import * as parley from '../../fix/parley-protocol.ts';
import * as protocol from '../../fix/protocol/index.ts';
import * as validate from '../../fix/validate.ts';
import { bind, buildMix, fieldsOf, type MixEntry } from './mix.ts';

interface Tree {
  codec: typeof codec;
  validate: typeof validate;
  dict: ReturnType<typeof parley.parleyDictionary>;
  mix: (MixEntry & ReturnType<typeof bind>)[];
}
const [baseDir, op = 'encode', roundsArg = '20'] = process.argv.slice(2);
if (baseDir === undefined) throw new Error('usage: compare.ts <base tree> <op> [rounds]');
const mix = buildMix(300);
const tree = async (dir: string | undefined): Promise<Tree> => {
  const load = async <T>(p: string, mine: T): Promise<T> => (dir === undefined ? mine : await import(resolve(dir, p)) as T);
  const p = await load('fix/protocol/index.ts', protocol);
  return {
    codec: await load('fix/codec.ts', codec),
    validate: await load('fix/validate.ts', validate),
    dict: (await load('fix/parley-protocol.ts', parley)).parleyDictionary(),
    mix: mix.map((m) => ({ ...m, ...bind(p, m) })),
  };
};
const base = await tree(baseDir);
const here = await tree(undefined);
const fields = mix.map(fieldsOf);
let sink = 0;

const loops: Record<string, (t: Tree) => () => void> = {
  encode: (t) => () => { for (const m of t.mix) sink += t.codec.encodeMessage('FIX.4.4', [...m.header, ...m.write()]).length; },
  fields: (t) => () => { for (const f of fields) sink += t.codec.encodeMessage('FIX.4.4', f).length; },
  decode: (t) => () => {
    for (const m of t.mix) {
      const d = t.codec.decodeMessage(m.bytes);
      if (t.validate.validateMessage(d, t.dict) !== null) throw new Error('rejected');
      const r = m.read?.(d);
      sink += r === undefined || r.ok ? 1 : 0;
    }
  },
  view: (t) => () => { for (const m of t.mix) sink += t.codec.decodeMessage(m.bytes).size; },
};
const make = loops[op];
if (make === undefined) throw new Error(`unknown op ${op}: ${Object.keys(loops).join(', ')}`);
const baseLoop = make(base), thisLoop = make(here);

/** Messages per CPU-second of this process while running `loop` for `ms`. */
function rate(loop: () => void, ms: number): number {
  let n = 0;
  const c0 = process.cpuUsage();
  const end = performance.now() + ms;
  while (performance.now() < end) { loop(); n += mix.length; }
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}
rate(baseLoop, 300);
rate(thisLoop, 300);
const ratios: number[] = [];
const baseRates: number[] = [];
const thisRates: number[] = [];
for (let r = 0; r < Number(roundsArg); r++) {
  const b1 = rate(baseLoop, 120), t = rate(thisLoop, 120), b2 = rate(baseLoop, 120);
  baseRates.push(b1, b2);
  thisRates.push(t);
  ratios.push(t / ((b1 + b2) / 2));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const f = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`${op}: this/base ${median(ratios).toFixed(2)} (median of ${ratios.length} rounds); per CPU-s median base ` +
  `${f(median(baseRates))}, this ${f(median(thisRates))}${sink === 0 ? ' ' : ''}`);
