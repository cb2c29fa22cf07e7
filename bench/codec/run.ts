// Codec benchmark: decodes (to typed, validated objects) and encodes the same RFQ message mix with fix/,
// jspurefix (its own jsfix-bench tool: parse:view and parse:object) and QuickFIX C++ (bench/codec/
// quickfix_bench.cpp, built here against libquickfix, FIX 4.4 DataDictionary validation), in one run.
//   npm run bench:codec [-- --cycles=300 --ms=400 --rounds=5 --no-quickfix --no-jspurefix]
// The machine is shared, so fix/ and QuickFIX rounds alternate and medians are reported.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, type Field } from '../../fix/codec.ts';
import { fix44Dictionary } from '../../fix/dictionary/dictionary.ts';
import { FIX44_SOURCE } from '../../fix/dictionary/fix44.ts';
import { renderQuickFixXml } from '../../fix/dictionary/quickfix-xml.ts';
import { fromMessage, toFields, type TypedMessage } from '../../fix/messages.ts';
import { validateMessage } from '../../fix/validate.ts';
import { buildMix } from './mix.ts';
import { measure } from './measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const BUILD = resolve(ROOT, 'bench/.build');

function arg(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const CYCLES = arg('cycles', 300);
const MS = arg('ms', 400);
const ROUNDS = arg('rounds', 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);

// ---------------------------------------------------------------------------------------------------------
// The mix, and a check that every message survives the round trip (no benchmarking of broken output).
const mix = buildMix(CYCLES);
const dict = fix44Dictionary();
const counts = new Map<string, number>();
let bytesTotal = 0;
for (const m of mix) {
  counts.set(m.msg.msgType, (counts.get(m.msg.msgType) ?? 0) + 1);
  bytesTotal += m.bytes.length;
  const d = decodeMessage(m.bytes);
  const rej = validateMessage(d, dict);
  if (rej !== null) throw new Error(`mix message fails validation: ${JSON.stringify(rej)}`);
  const again = encodeMessage('FIX.4.4', toFields(fromMessage(d)));
  if (!again.equals(m.bytes)) throw new Error('mix message does not round-trip');
}
mkdirSync(BUILD, { recursive: true });
const mixSoh = resolve(BUILD, 'mix.txt');
const mixPipe = resolve(BUILD, 'mix-pipe.txt');
writeFileSync(mixSoh, `${mix.map((m) => m.bytes.toString('latin1')).join('\n')}\n`, 'latin1');
writeFileSync(mixPipe, `${mix.map((m) => m.bytes.toString('latin1').replaceAll('\x01', '|')).join('\n')}\n`, 'latin1');

console.log('FIX codec benchmark — one run, same message mix for every implementation');
console.log(`mix: ${mix.length} messages (${[...counts].map(([k, v]) => `${k}×${v}`).join(', ')}), ` +
  `avg ${(bytesTotal / mix.length).toFixed(0)} bytes; ${ROUNDS} rounds × ${MS} ms, median reported`);
console.log(`node ${process.version}, ${process.arch}, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log();

// ---------------------------------------------------------------------------------------------------------
// fix/
let sink = 0;
const decodeTypedValidated = (): void => {
  for (let i = 0; i < mix.length; i++) {
    const msg = decodeMessage(mix[i]!.bytes);
    if (validateMessage(msg, dict) !== null) throw new Error('rejected');
    const typed: TypedMessage = fromMessage(msg, { validated: true });
    sink += typed.msgType.length;
  }
};
const decodeView = (): void => {
  for (let i = 0; i < mix.length; i++) sink += decodeMessage(mix[i]!.bytes).size;
};
const encodeTyped = (): void => {
  for (let i = 0; i < mix.length; i++) {
    const m = mix[i]!;
    sink += encodeMessage('FIX.4.4', toFields(m.msg, m.header)).length;
  }
};
const prebuilt: Field[][] = mix.map((m) => toFields(m.msg, m.header));
const encodeFields = (): void => {
  for (let i = 0; i < prebuilt.length; i++) sink += encodeMessage('FIX.4.4', prebuilt[i]!).length;
};

// ---------------------------------------------------------------------------------------------------------
// QuickFIX C++
interface QfResult { decode: number; encode: number }
let quickfixBin: string | null = null;
let quickfixNote = '';
if (!flag('no-quickfix')) {
  try {
    const xml = resolve(BUILD, 'FIX44.xml');
    writeFileSync(xml, renderQuickFixXml(FIX44_SOURCE));
    const src = resolve(here, 'quickfix_bench.cpp');
    const bin = resolve(BUILD, 'quickfix_bench');
    if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
      console.log(`building ${relative(ROOT, bin)} (g++ -std=gnu++14 -O2 -DHAVE_SSL=1 ... -lquickfix -lssl -lcrypto -lpthread)`);
      execFileSync('g++', ['-std=gnu++14', '-O2', '-DHAVE_SSL=1', '-w', src, '-o', bin, '-lquickfix', '-lssl', '-lcrypto', '-lpthread'], { stdio: 'inherit' });
    }
    quickfixBin = bin;
    quickfixNote = `DataDictionary ${relative(ROOT, xml)} (rendered from fix/dictionary/fix44.ts)`;
  } catch (e) {
    quickfixNote = `QuickFIX C++ not run: ${(e as Error).message}`;
  }
}
function runQuickfix(rounds: number): QfResult | null {
  if (quickfixBin === null) return null;
  const r = spawnSync(quickfixBin, [resolve(BUILD, 'FIX44.xml'), mixSoh, String(MS), String(rounds)], { encoding: 'utf8' });
  if (r.status !== 0) {
    quickfixNote = `QuickFIX C++ failed: ${r.stderr.trim() || r.error?.message}`;
    quickfixBin = null;
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as QfResult;
}

// ---------------------------------------------------------------------------------------------------------
// Alternate rounds so both sides see the same machine load.
const fixDecode: number[] = [];
const fixView: number[] = [];
const fixEncTyped: number[] = [];
const fixEncFields: number[] = [];
const qfDecode: number[] = [];
const qfEncode: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  fixDecode.push(measure(mix.length, decodeTypedValidated, { minMs: MS, rounds: 1 }).msgsPerSec);
  const qf = runQuickfix(1);
  if (qf !== null) { qfDecode.push(qf.decode); qfEncode.push(qf.encode); }
  fixView.push(measure(mix.length, decodeView, { minMs: MS, rounds: 1 }).msgsPerSec);
  fixEncTyped.push(measure(mix.length, encodeTyped, { minMs: MS, rounds: 1 }).msgsPerSec);
  fixEncFields.push(measure(mix.length, encodeFields, { minMs: MS, rounds: 1 }).msgsPerSec);
  process.stdout.write(`  round ${r + 1}/${ROUNDS}: fix/ decode ${fmt(fixDecode.at(-1))}/s` +
    (qf ? `, QuickFIX decode ${fmt(qf.decode)}/s` : '') + '\n');
}

// ---------------------------------------------------------------------------------------------------------
// jspurefix, with its own tool on the same messages.
interface JsfixCase { name: string; operationsPerSecond: number; timing: { median: number } }
let jsView: number | undefined;
let jsObject: number | undefined;
let jsNote = '';
if (!flag('no-jspurefix')) {
  const tool = resolve(ROOT, 'node_modules/jspurefix/dist/jsfix-bench.js');
  const per = mix.length;
  const r = spawnSync(process.execPath, ['--expose-gc', tool, '--dict=qf44', `--fix=${mixPipe}`, '--delimiter=|',
    `--rounds=${ROUNDS}`, `--msgs=${per * 4}`, `--warmup=${per * 2}`, '--json'], { encoding: 'utf8', cwd: dirname(dirname(tool)) });
  if (r.status === 0) {
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { results: JsfixCase[] };
    for (const c of json.results) {
      const perSec = 1e9 / c.timing.median;
      if (c.name === 'parse:view') jsView = perSec;
      if (c.name === 'parse:object') jsObject = perSec;
    }
    jsNote = `jspurefix ${JSON.parse(execFileSync(process.execPath, ['-p', "JSON.stringify(require('jspurefix/package.json').version)"], { cwd: ROOT, encoding: 'utf8' }))}: ` +
      `node_modules/jspurefix/dist/jsfix-bench.js --dict=qf44 --depth=view,object (median of ${ROUNDS} rounds)`;
  } else {
    jsNote = `jspurefix not run: ${r.stderr.trim().split('\n').pop()}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
const dec = median(fixDecode);
const qfd = qfDecode.length > 0 ? median(qfDecode) : undefined;
const qfe = qfEncode.length > 0 ? median(qfEncode) : undefined;
const encT = median(fixEncTyped);
const encF = median(fixEncFields);
console.log();
const rows: [string, string, string][] = [
  ['fix/ decode: bytes → checked, validated (FIX 4.4 dictionary), typed object', fmt(dec), ''],
  ['fix/ decode: bytes → FixMessage (checksum, body length; no dictionary)', fmt(median(fixView)), ''],
  ['fix/ encode: typed object → bytes (toFields + encodeMessage)', '', fmt(encT)],
  ['fix/ encode: Field[] → bytes (encodeMessage)', '', fmt(encF)],
  ['QuickFIX C++: parse with DataDictionary + validate / toString()', fmt(qfd), fmt(qfe)],
  ['jspurefix parse:object (materialise object)', fmt(jsObject), ''],
  ['jspurefix parse:view (tokenise + structure)', fmt(jsView), ''],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`${'implementation'.padEnd(w)}  ${'decode msg/s'.padStart(12)}  ${'encode msg/s'.padStart(12)}`);
for (const [n, d, e] of rows) console.log(`${n.padEnd(w)}  ${d.padStart(12)}  ${e.padStart(12)}`);
console.log();
console.log('ratios (goal):');
console.log(`  fix/ decode vs QuickFIX C++ decode:        ${ratio(dec, qfd)}  (goal >= 1x)`);
console.log(`  fix/ decode vs jspurefix parse:object:     ${ratio(dec, jsObject)}  (goal >= 10x)`);
console.log(`  fix/ encode typed vs 2,000,000 msg/s:      ${ratio(encT, 2e6)}  (goal >= 1x)`);
console.log(`  fix/ encode Field[] vs 2,000,000 msg/s:    ${ratio(encF, 2e6)}`);
console.log(`  fix/ encode typed vs QuickFIX toString():  ${ratio(encT, qfe)}`);
console.log();
if (quickfixNote) console.log(quickfixNote);
if (jsNote) console.log(jsNote);
console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}${sink === 0 ? '' : ''}`);
