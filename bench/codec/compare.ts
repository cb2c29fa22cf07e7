// Compares one fix/ codec loop of this tree against another tree's, in one process, so both see the same
// machine load (a shared machine swings full bench:codec runs by ±10 %). Rounds alternate base, this, base;
// the figure is the median of the per-round ratios this / mean(base before, base after).
//   mkdir -p /tmp/base && git archive <commit> fix bench | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
//   bash scripts/node.sh bench/codec/compare.ts /tmp/base encode|viaFields|fields|decode|twoStep|view [rounds]
// This tree uses a kept TypedEncoder / FixEncoder / FixDecoder where the base has them (as a session would).
import { resolve } from 'node:path';
import * as codec from '../../fix/codec.ts';
import { fix44Dictionary } from '../../fix/dictionary/dictionary.ts';
import * as messages from '../../fix/messages.ts';
import { validateMessage } from '../../fix/validate.ts';
import { buildMix } from './mix.ts';

type Codec = typeof codec;
type Messages = typeof messages;
const [baseDir, op = 'encode', roundsArg = '20'] = process.argv.slice(2);
if (baseDir === undefined) throw new Error('usage: compare.ts <base tree> <op> [rounds]');
const base = {
  codec: await import(resolve(baseDir, 'fix/codec.ts')) as Codec,
  messages: await import(resolve(baseDir, 'fix/messages.ts')) as Messages,
  dict: (await import(resolve(baseDir, 'fix/dictionary/dictionary.ts')) as { fix44Dictionary: typeof fix44Dictionary }).fix44Dictionary(),
  validate: (await import(resolve(baseDir, 'fix/validate.ts')) as { validateMessage: typeof validateMessage }).validateMessage,
};
const mix = buildMix(300);
const fields = mix.map((m) => messages.toFields(m.msg, m.header));
const dict = fix44Dictionary();
const typedEncoder = new messages.TypedEncoder();
const fixEncoder = new codec.FixEncoder();
const decoder = new codec.FixDecoder();
let sink = 0;

// Base calls go through the plain functions (extra arguments are ignored by an older tree).
const loops: Record<string, [() => void, () => void]> = {
  encode: [
    () => { for (const m of mix) sink += base.messages.encodeTyped('FIX.4.4', m.msg, m.header).length; },
    () => { for (const m of mix) sink += typedEncoder.encode('FIX.4.4', m.msg, m.header).length; },
  ],
  viaFields: [
    () => { for (const m of mix) sink += base.codec.encodeMessage('FIX.4.4', base.messages.toFields(m.msg, m.header)).length; },
    () => { for (const m of mix) sink += codec.encodeMessage('FIX.4.4', messages.toFields(m.msg, m.header), fixEncoder).length; },
  ],
  fields: [
    () => { for (const f of fields) sink += base.codec.encodeMessage('FIX.4.4', f).length; },
    () => { for (const f of fields) sink += codec.encodeMessage('FIX.4.4', f).length; },
  ],
  decode: [
    () => { for (const m of mix) sink += base.messages.isTyped(base.messages.decodeTyped(m.bytes, base.dict)) ? 1 : 0; },
    () => { for (const m of mix) sink += messages.isTyped(messages.decodeTyped(m.bytes, dict, undefined, decoder)) ? 1 : 0; },
  ],
  twoStep: [
    () => {
      for (const m of mix) {
        const d = base.codec.decodeMessage(m.bytes);
        if (base.validate(d, base.dict) !== null) throw new Error('rejected');
        sink += base.messages.fromMessage(d, { validated: true }).msgType.length;
      }
    },
    () => {
      for (const m of mix) {
        const d = codec.decodeMessage(m.bytes, undefined, decoder);
        if (validateMessage(d, dict) !== null) throw new Error('rejected');
        sink += messages.fromMessage(d, { validated: true }).msgType.length;
      }
    },
  ],
  view: [
    () => { for (const m of mix) sink += base.codec.decodeMessage(m.bytes).size; },
    () => { for (const m of mix) sink += codec.decodeMessage(m.bytes, undefined, decoder).size; },
  ],
};
const pair = loops[op];
if (pair === undefined) throw new Error(`unknown op ${op}: ${Object.keys(loops).join(', ')}`);
const [baseLoop, thisLoop] = pair;

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
