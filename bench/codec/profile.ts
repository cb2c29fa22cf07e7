// Runs one fix/ codec loop over the benchmark mix for a while, to profile it:
//   bash scripts/node.sh --cpu-prof --cpu-prof-dir=/tmp/prof bench/codec/profile.ts encode|decode [ms] [oneshot]
// `encode` uses a TypedEncoder kept across messages (as bench:codec does); `oneshot` a new one per message.
// Prints messages per wall-clock second and per CPU-second of this process (the machine is shared).
import { fix44Dictionary } from '../../fix/dictionary/dictionary.ts';
import { decodeTyped, encodeTyped, isTyped, TypedEncoder } from '../../fix/messages.ts';
import { buildMix } from './mix.ts';

const what = process.argv[2] ?? 'encode';
const ms = Number(process.argv[3] ?? 3000);
const encoder = process.argv[4] === 'oneshot' ? undefined : new TypedEncoder();
const mix = buildMix(300);
const dict = fix44Dictionary();
let sink = 0;
let n = 0;
const cpu0 = process.cpuUsage();
const end = performance.now() + ms;
while (performance.now() < end) {
  for (let i = 0; i < mix.length; i++) {
    const m = mix[i]!;
    if (what === 'encode') {
      sink += encodeTyped('FIX.4.4', m.msg, m.header, encoder).length;
    } else {
      const r = decodeTyped(m.bytes, dict);
      if (!isTyped(r)) throw new Error('rejected');
      sink += r.msgType.length;
    }
  }
  n += mix.length;
}
const cpu = process.cpuUsage(cpu0);
console.log(`${what}: ${n} messages in ${ms} ms: ${Math.round(n / (ms / 1000))}/s wall, ` +
  `${Math.round(n / ((cpu.user + cpu.system) / 1e6))}/CPU-s${sink === 0 ? ' ' : ''}`);
