// Runs one of bench:codec's product paths over the benchmark mix for a while, to profile it:
//   bash scripts/node.sh --cpu-prof --cpu-prof-dir=/tmp/prof bench/codec/profile.ts encode|fields|decode [ms]
// `encode`: fix/protocol writer + session header + encodeMessage; `fields`: encodeMessage of fields already
// built; `decode`: decodeMessage + validateMessage (Parley dictionary) + fix/protocol reader.
// Prints messages per wall-clock second and per CPU-second of this process (the machine is shared).
import { decodeMessage, encodeMessage } from '../../fix/codec.ts';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { validateMessage } from '../../fix/validate.ts';
import { buildMix, fieldsOf } from './mix.ts';

const what = process.argv[2] ?? 'encode';
const ms = Number(process.argv[3] ?? 3000);
const mix = buildMix(300);
const fields = mix.map(fieldsOf);
const dict = parleyDictionary();
let sink = 0;
let n = 0;
const cpu0 = process.cpuUsage();
const end = performance.now() + ms;
while (performance.now() < end) {
  for (let i = 0; i < mix.length; i++) {
    const m = mix[i]!;
    if (what === 'encode') {
      sink += encodeMessage('FIX.4.4', [...m.header, ...m.write()]).length;
    } else if (what === 'fields') {
      sink += encodeMessage('FIX.4.4', fields[i]!).length;
    } else {
      const d = decodeMessage(m.bytes);
      if (validateMessage(d, dict) !== null) throw new Error('rejected');
      const r = m.read?.(d);
      sink += r === undefined || r.ok ? 1 : 0;
    }
  }
  n += mix.length;
}
const cpu = process.cpuUsage(cpu0);
console.log(`${what}: ${n} messages in ${ms} ms: ${Math.round(n / (ms / 1000))}/s wall, ` +
  `${Math.round(n / ((cpu.user + cpu.system) / 1e6))}/CPU-s${sink === 0 ? ' ' : ''}`);
