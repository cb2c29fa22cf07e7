// Codec benchmark: decodes (to the typed values Parley's code reads) and encodes the same RFQ message mix with
// fix/ — exactly the product's path: fix/session's decodeMessage + validateMessage against the Parley dictionary,
// then fix/protocol's reader; fix/protocol's writer + the session header + encodeMessage —,
// jspurefix (parse:view and parse:object through ParseCase, the class behind its jsfix-bench tool) and
// QuickFIX C++ (bench/codec/quickfix_bench.cpp, built here against libquickfix, validating with the same
// dictionary: FIX 4.4 plus Parley's extension, rendered as QuickFIX XML), in one run.
//   npm run bench:codec [-- --cycles=300 --ms=400 --rounds=5 --no-quickfix --no-jspurefix --jsfix-tool
//                          --jspurefix-in-process]
// The machine is shared, so the implementations' rounds alternate, medians are reported, and every figure
// is given per wall-clock second and per CPU-second of the measuring process. Each implementation measures
// in a process of its own (QuickFIX's program, jspurefix-child.ts, this one for fix/), so none pays for
// another's heap; --jspurefix-in-process runs jspurefix in this process instead, as earlier versions did.
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, FixDecoder, FixEncoder, type Field } from '../../fix/codec.ts';
import { renderQuickFixXml } from '../../fix/dictionary/quickfix-xml.ts';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { validateMessage } from '../../fix/validate.ts';
import { jspurefixCases } from './jspurefix.ts';
import { buildMix, fieldsOf } from './mix.ts';
import { measure, median, type Rate } from './measure.ts';

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
const opt = { minMs: MS };

const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);

// ---------------------------------------------------------------------------------------------------------
// The mix, and a check that every message survives the round trip (no benchmarking of broken output).
const mix = buildMix(CYCLES);
const dict = parleyDictionary();
const counts = new Map<string, number>();
let bytesTotal = 0;
for (const m of mix) {
  counts.set(m.msgType, (counts.get(m.msgType) ?? 0) + 1);
  bytesTotal += m.bytes.length;
  const d = decodeMessage(m.bytes);
  const rej = validateMessage(d, dict);
  if (rej !== null) throw new Error(`mix message ${m.msgType} fails validation: ${JSON.stringify(rej)}`);
  const r = m.read?.(d);
  if (r !== undefined && !r.ok) throw new Error(`mix message ${m.msgType} refused by its reader: ${r.reason}`);
  if (!encodeMessage('FIX.4.4', fieldsOf(m)).equals(m.bytes)) throw new Error('mix message does not re-encode to the same bytes');
  if (!encodeMessage('FIX.4.4', fieldsOf(m), new FixEncoder()).equals(m.bytes)) throw new Error('FixEncoder differs from encodeMessage');
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
// fix/, as the product runs it: fix/session decodes each frame with decodeMessage and validates it against its
// dictionary; main/ or gateway/ then read it with fix/protocol's reader. Sending, the caller's fix/protocol
// writer gives the body, fix/session's writer prepends the standard header and calls encodeMessage.
let sink = 0;
const decodeProduct = (): void => {
  for (let i = 0; i < mix.length; i++) {
    const m = mix[i]!;
    const msg = decodeMessage(m.bytes);
    if (validateMessage(msg, dict) !== null) throw new Error('rejected');
    const r = m.read?.(msg);
    sink += r === undefined || r.ok ? 1 : 0;
  }
};
const decodeView = (): void => {
  for (let i = 0; i < mix.length; i++) sink += decodeMessage(mix[i]!.bytes).size;
};
const decoder = new FixDecoder();
const decodeViewKept = (): void => {
  for (let i = 0; i < mix.length; i++) sink += decodeMessage(mix[i]!.bytes, undefined, decoder).size;
};
const encodeProduct = (): void => {
  for (let i = 0; i < mix.length; i++) {
    const m = mix[i]!;
    sink += encodeMessage('FIX.4.4', [...m.header, ...m.write()]).length;
  }
};
// Fields already built, as QuickFIX's Message::toString gets them (its fields are set before it is timed).
const prebuilt: Field[][] = mix.map(fieldsOf);
const encodeFields = (): void => {
  for (let i = 0; i < prebuilt.length; i++) sink += encodeMessage('FIX.4.4', prebuilt[i]!).length;
};
const fixEncoder = new FixEncoder();
const encodeFieldsKept = (): void => {
  for (let i = 0; i < prebuilt.length; i++) sink += encodeMessage('FIX.4.4', prebuilt[i]!, fixEncoder).length;
};

// ---------------------------------------------------------------------------------------------------------
// QuickFIX C++
interface QfResult { decode: Rate; parse: Rate; encode: Rate }
let quickfixBin: string | null = null;
let quickfixNote = '';
if (!flag('no-quickfix')) {
  try {
    const xml = resolve(BUILD, 'FIX44.xml');
    writeFileSync(xml, renderQuickFixXml(dict.source));
    const src = resolve(here, 'quickfix_bench.cpp');
    const bin = resolve(BUILD, 'quickfix_bench');
    if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
      console.log(`building ${relative(ROOT, bin)} (g++ -std=gnu++14 -O2 -DHAVE_SSL=1 ... -lquickfix -lssl -lcrypto -lpthread)`);
      execFileSync('g++', ['-std=gnu++14', '-O2', '-DHAVE_SSL=1', '-w', src, '-o', bin, '-lquickfix', '-lssl', '-lcrypto', '-lpthread'], { stdio: 'inherit' });
    }
    quickfixBin = bin;
    quickfixNote = `DataDictionary ${relative(ROOT, xml)} (rendered from parleyDictionary(): FIX 4.4 + Parley's extension)`;
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
// jspurefix, in process.
interface JsRound { object: Rate; view: Rate }
let js: { round: () => Promise<JsRound>; close: () => void } | null = null;
let jsNote = '';
const jsWhere = flag('jspurefix-in-process') ? 'in this process' : 'in a child process (bench/codec/jspurefix-child.ts)';
if (!flag('no-jspurefix')) {
  try {
    let version: string;
    let per: number;
    if (flag('jspurefix-in-process')) {
      const c = await jspurefixCases(readFileSync(mixPipe, 'latin1'), '|');
      ({ version } = c);
      per = c.messagesPerPass;
      js = {
        round: async () => ({ object: measure(per, c.object, opt), view: measure(per, c.view, opt) }),
        close: () => undefined,
      };
    } else {
      const child: ChildProcess = fork(resolve(here, 'jspurefix-child.ts'), [mixPipe, String(MS)], {
        execArgv: ['--disable-warning=ExperimentalWarning'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const next = (): Promise<unknown> => new Promise((res, rej) => {
        const onExit = (code: number | null): void => rej(new Error(`jspurefix child exited (${code})`));
        child.once('exit', onExit);
        child.once('message', (m) => { child.off('exit', onExit); res(m); });
      });
      const hello = await next() as { version: string; messagesPerPass: number };
      ({ version } = hello);
      per = hello.messagesPerPass;
      js = {
        round: async () => { const r = next(); child.send('round'); return await r as JsRound; },
        close: () => { child.send('exit'); },
      };
    }
    if (per !== mix.length) throw new Error(`it read ${per} of ${mix.length} messages`);
    jsNote = `jspurefix ${version}: ParseCase (jspurefix/dist/benchmark, what jsfix-bench runs), dictionary qf44, depth view and object, ${jsWhere}`;
  } catch (e) {
    jsNote = `jspurefix not run: ${(e as Error).message}`;
    js = null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rounds alternate between implementations so that all see the same machine load.
type Series = { wall: number[]; cpu: number[] };
const series = (): Series => ({ wall: [], cpu: [] });
const add = (s: Series, r: Rate): void => { s.wall.push(r.wall); s.cpu.push(r.cpu); };
const S = {
  fixDecode: series(), fixView: series(), fixViewKept: series(), fixEncProduct: series(), fixEncFields: series(), fixEncFieldsKept: series(),
  qfDecode: series(), qfParse: series(), qfEncode: series(), jsView: series(), jsObject: series(),
};
for (let r = 0; r < ROUNDS; r++) {
  add(S.fixDecode, measure(mix.length, decodeProduct, opt));
  const qf = runQuickfix(1);
  if (qf !== null) { add(S.qfDecode, qf.decode); add(S.qfParse, qf.parse); add(S.qfEncode, qf.encode); }
  if (js !== null) { const j = await js.round(); add(S.jsObject, j.object); add(S.jsView, j.view); }
  add(S.fixView, measure(mix.length, decodeView, opt));
  add(S.fixViewKept, measure(mix.length, decodeViewKept, opt));
  add(S.fixEncProduct, measure(mix.length, encodeProduct, opt));
  add(S.fixEncFields, measure(mix.length, encodeFields, opt));
  add(S.fixEncFieldsKept, measure(mix.length, encodeFieldsKept, opt));
  console.log(`  round ${r + 1}/${ROUNDS}: per CPU-s — decode fix/ ${fmt(S.fixDecode.cpu.at(-1))}` +
    (qf ? `, QuickFIX ${fmt(qf.decode.cpu)}` : '') + (js ? `, jspurefix object ${fmt(S.jsObject.cpu.at(-1))}` : '') +
    `; encode fix/ ${fmt(S.fixEncProduct.cpu.at(-1))}` + (qf ? `, QuickFIX ${fmt(qf.encode.cpu)}` : ''));
}

js?.close();

// Optionally also jspurefix's own command-line tool (wall clock only), for reference.
let jsToolLine = '';
if (flag('jsfix-tool')) {
  const tool = resolve(ROOT, 'node_modules/jspurefix/dist/jsfix-bench.js');
  const r = spawnSync(process.execPath, ['--expose-gc', tool, '--dict=qf44', `--fix=${mixPipe}`, '--delimiter=|',
    `--rounds=${ROUNDS}`, `--msgs=${mix.length * 4}`, `--warmup=${mix.length * 2}`, '--json'], { encoding: 'utf8', cwd: dirname(dirname(tool)) });
  if (r.status === 0) {
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { results: { name: string; timing: { median: number } }[] };
    jsToolLine = `jsfix-bench itself (wall clock, median): ${json.results.map((c) => `${c.name} ${fmt(1e9 / c.timing.median)} msg/s`).join(', ')}`;
  } else {
    jsToolLine = `jsfix-bench failed: ${r.stderr.trim().split('\n').pop()}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
const m = (s: Series, k: 'wall' | 'cpu'): number | undefined => (s[k].length > 0 ? median(s[k]) : undefined);
console.log();
const rows: [string, Series | null, Series | null][] = [
  ['fix/ decode: bytes → validated (Parley dictionary) → fix/protocol reader (the product path)', S.fixDecode, null],
  ['fix/ decode: bytes → FixMessage (decodeMessage: checksum, body length; no dictionary)', S.fixView, null],
  ['fix/ decode: bytes → FixMessage (a FixDecoder kept across messages)', S.fixViewKept, null],
  ['fix/ encode: fix/protocol writer + session header → bytes (encodeMessage; the product path)', null, S.fixEncProduct],
  ['fix/ encode: Field[] already built → bytes (encodeMessage, as Message::toString is timed)', null, S.fixEncFields],
  ['fix/ encode: Field[] already built → bytes (a FixEncoder kept across messages)', null, S.fixEncFieldsKept],
  ['QuickFIX C++: parse with DataDictionary + validate / Message::toString()', S.qfDecode, S.qfEncode],
  ['QuickFIX C++: parse with DataDictionary only, no validate (reference)', S.qfParse, null],
  ['jspurefix parse:object (materialise object)', S.jsObject, null],
  ['jspurefix parse:view (tokenise + structure)', S.jsView, null],
];
const w = Math.max(...rows.map((r) => r[0].length));
const col = (s: Series | null, k: 'wall' | 'cpu'): string => (s === null ? '' : fmt(m(s, k))).padStart(12);
console.log(`${''.padEnd(w)}  ${'decode msg/s'.padStart(27)}  ${'encode msg/s'.padStart(27)}`);
console.log(`${'implementation'.padEnd(w)}  ${'per CPU-s'.padStart(12)}  ${'wall'.padStart(12)}  ${'per CPU-s'.padStart(12)}  ${'wall'.padStart(12)}`);
for (const [n, d, e] of rows) console.log(`${n.padEnd(w)}  ${col(d, 'cpu')}  ${col(d, 'wall')}  ${col(e, 'cpu')}  ${col(e, 'wall')}`);
console.log();
const line = (label: string, a: Series, b: Series | number, goal: string): void => {
  const bc = typeof b === 'number' ? b : m(b, 'cpu');
  const bw = typeof b === 'number' ? b : m(b, 'wall');
  console.log(`  ${label.padEnd(42)} ${ratio(m(a, 'cpu'), bc).padStart(8)} per CPU-s, ${ratio(m(a, 'wall'), bw).padStart(8)} wall   ${goal}`);
};
console.log('ratios:');
line('fix/ decode vs QuickFIX C++ decode', S.fixDecode, S.qfDecode, '(issue 17: goal >= 2.5x)');
line('fix/ decode vs jspurefix parse:object', S.fixDecode, S.jsObject, '(issue 17: goal >= 10x)');
line('fix/ encode (product path) vs QuickFIX', S.fixEncProduct, S.qfEncode, '(issue 17: goal >= 1x)');
line('fix/ encode (Field[] built) vs QuickFIX', S.fixEncFields, S.qfEncode, '');
console.log();
if (quickfixNote) console.log(quickfixNote);
if (jsNote) console.log(jsNote);
if (jsToolLine) console.log(jsToolLine);
console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}${sink === 0 ? ' ' : ''}`);
