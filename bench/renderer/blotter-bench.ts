/**
 * Blotter under load, in Debian's Chromium (run by hand; figures go to docs/performance.md):
 *   bash scripts/node.sh bench/renderer/blotter-bench.ts [--seconds 10] [--rate 1000] [--rows 100000]
 *                                                        [--no-scroll] [--no-peer] [--profile out.cpuprofile]
 *                                                        [--trace out.json]
 *
 * The production build of the renderer is served with the strict CSP and driven by the test-only fake
 * client core (the same one the UI-only browser tests inject). It loads the blotter with N executions,
 * puts 40 RFQs live on the board, then streams `rate` quote updates per second (each a whole RFQ with one
 * dealer's requote, as the client core sends them) while the blotter scrolls every frame.
 *
 * Measured with Chromium's own APIs: PerformanceObserver('longtask') and requestAnimationFrame deltas
 * (wall clock: on a shared 2-core machine they include time the OS gave to other processes), and from a
 * Chromium trace the renderer main thread's tasks with their thread CPU time (tdur), which load elsewhere
 * does not inflate. Goal: no long task > 50 ms, p95 frame < 16.7 ms.
 * The peer in the same run: the same rows as a plain, non-virtualized table.
 */
import { rm } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { haveChromium, launchChromium, SKIP_REASON } from '../../test/e2e/browser.ts';
import { serveStatic } from '../../test/e2e/static-server.ts';
import { fakeParleyScript } from '../../test/e2e/fake-injection.ts';
import { buildRenderer } from '../../test/e2e/build-renderer.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '100000' },
    'no-scroll': { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    profile: { type: 'string' },
    trace: { type: 'string' },
  },
});
const seconds = Math.min(120, Math.max(1, Number(values.seconds)));
const rate = Math.min(20_000, Math.max(1, Number(values.rate)));
const rows = Math.min(500_000, Math.max(1, Number(values.rows)));
const scroll = !values['no-scroll'];

if (!haveChromium) {
  console.error(SKIP_REASON);
  process.exit(2);
}

interface TraceEvent { ph: string; name: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { name?: string } }

/** The renderer main thread's top-level tasks: wall and thread-CPU durations in ms. */
function mainThreadTasks(trace: { traceEvents: TraceEvent[] }): { wall: number[]; cpu: number[]; spanMs: number } {
  const mains = new Set(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const topName = trace.traceEvents.some((e) => e.name === 'RunTask') ? 'RunTask' : 'ThreadControllerImpl::RunTask';
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of trace.traceEvents) {
    // RunTask wraps ThreadControllerImpl::RunTask: count one of them, not both.
    if (e.ph !== 'X' || e.name !== topName) continue;
    const key = `${e.pid}:${e.tid}`;
    if (!mains.has(key)) continue;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  }
  // The page's renderer is the busiest one.
  const tasks = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const ts = tasks.map((t) => t.ts);
  return {
    wall: tasks.map((t) => (t.dur ?? 0) / 1000),
    cpu: tasks.map((t) => (t.tdur ?? 0) / 1000),
    spanMs: ts.length ? (Math.max(...ts) - Math.min(...ts)) / 1000 : 0,
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

const dist = await buildRenderer();
const server = await serveStatic(dist);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.addInitScript({ content: await fakeParleyScript({ signedIn: true, quoteDelayMs: 1e9 }) });
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.getByRole('heading', { name: 'New RFQ' }).waitFor();
  await page.getByText('All (4)').waitFor();

  // Setup (not measured): the day's executions and 40 live RFQs with four quotes each.
  await page.evaluate(
    async ({ rows }) => {
      type Fake = { emit(event: string, payload: unknown): void };
      const fake = (window as unknown as { __fake: Fake }).__fake;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const now = Date.now();
      const iso = (t: number) => new Date(t).toISOString();
      const dealers = ['DLR-ALPHA', 'DLR-BRAVO', 'DLR-CHARLIE', 'DLR-DELTA'];
      const instruments = ['US91282CJL54', 'DE0001102614', 'GB00BMV7TC88', 'XS2724532486', 'FR001400HI98'];
      for (let i = 0; i < rows; i += 5_000) {
        for (let j = i; j < Math.min(rows, i + 5_000); j++) {
          fake.emit('execution', {
            execId: `X${j}`, clientRfqId: `old-${j}`, quoteId: `oq-${j}`, dealer: dealers[j % 4], instrument: instruments[j % 5],
            side: j % 2 ? 'sell' : 'buy', quantity: 1_000_000 * (1 + (j % 50)), price: 99 + (j % 300) / 100,
            settlementDate: '2026-11-24', transactTime: iso(now - (rows - j) * 100),
          });
        }
        await sleep(0);
      }
      const rfqs = Array.from({ length: 40 }, (_, k) => ({
        clientRfqId: `bench-${k}`, instrument: instruments[k % 5], side: k % 2 ? 'sell' : 'buy', quantity: 5_000_000,
        settlementDate: '2026-11-24', dealers: 'all', createdAt: iso(now), expiresAt: iso(now + 10 * 60_000), status: 'quoted',
        quotes: dealers.map((d, n) => ({ quoteId: `q-${k}-${n}-0`, dealer: d, price: 100 + n / 10, validUntil: iso(now + 10 * 60_000), receivedAt: iso(now), status: 'live' })),
      }));
      for (const r of rfqs) fake.emit('rfq', r);
      (window as unknown as { __bench: unknown }).__bench = { rfqs };
      await sleep(1_500);
    },
    { rows },
  );

  const cdp = values.profile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  // --trace adds the timeline's own categories (style, layout, script) for a breakdown, at some cost.
  const categories = ['toplevel', 'disabled-by-default-devtools.timeline', ...(values.trace ? ['devtools.timeline', 'blink', 'v8'] : [])];
  await browser.startTracing(page, { categories });
  const loadBefore = os.loadavg()[0] ?? NaN;

  const result = await page.evaluate(
    async ({ seconds, rate, scroll }) => {
      type Fake = { emit(event: string, payload: unknown): void };
      type BenchQuote = { quoteId: string; dealer: string; price: number; validUntil: string; receivedAt: string; status: string };
      const fake = (window as unknown as { __fake: Fake }).__fake;
      const { rfqs } = (window as unknown as { __bench: { rfqs: { quotes: BenchQuote[] }[] } }).__bench;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const scroller = document.querySelector('.blotter .vscroll') as HTMLElement | null;
      const renderedRows = document.querySelectorAll('.blotter .vbody [role=row]').length;
      const countText = document.querySelector('.blotter .toolbar .muted')?.textContent ?? '';
      // Read once: reading it every frame would force a layout the app itself never asks for.
      const maxScroll = scroller ? Math.max(1, scroller.scrollHeight - scroller.clientHeight) : 1;
      let scrollPos = 0;

      const longTasks: number[] = [];
      const po = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
      po.observe({ type: 'longtask', buffered: false });
      const frames: number[] = [];
      let running = true;
      let last = 0;
      const tick = (t: number) => {
        frames.push(t - last);
        last = t;
        if (scroller && scroll) scroller.scrollTop = scrollPos = (scrollPos + 78) % maxScroll;
        if (running) requestAnimationFrame(tick);
      };
      requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });

      const start = performance.now();
      let sent = 0;
      let version = 0;
      while (performance.now() - start < seconds * 1000) {
        const due = Math.floor(((performance.now() - start) / 1000) * rate);
        const receivedAt = new Date().toISOString();
        while (sent < due) {
          const r = rfqs[sent % rfqs.length]!;
          const n = (sent >> 3) % 4;
          version += 1;
          r.quotes[n] = { ...r.quotes[n]!, quoteId: `q-${sent % 40}-${n}-${version}`, price: 100 + n / 10 + ((version % 17) - 8) / 1000, receivedAt };
          fake.emit('rfq', r);
          sent += 1;
        }
        await sleep(4);
      }
      running = false;
      await sleep(100);
      po.disconnect();
      const elapsed = (performance.now() - start) / 1000;
      const sorted = frames.slice(2).sort((a, b) => a - b);
      return { countText, renderedRows, elapsed, sent, frames: sorted, longTasks };
    },
    { seconds, rate, scroll },
  );

  const traceText = (await browser.stopTracing()).toString('utf8');
  if (values.trace) await writeFile(values.trace, traceText);
  const trace = JSON.parse(traceText) as { traceEvents: TraceEvent[] };
  const loadAfter = os.loadavg()[0] ?? NaN;
  if (cdp && values.profile) {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(values.profile, JSON.stringify(profile));
    console.log(`CPU profile written to ${values.profile} (open in Chromium DevTools)`);
  }
  const tasks = mainThreadTasks(trace);
  const cpuSorted = [...tasks.cpu].sort((a, b) => a - b);
  const wallSorted = [...tasks.wall].sort((a, b) => a - b);
  const cpuTotal = tasks.cpu.reduce((a, b) => a + b, 0);

  const f = (n: number) => n.toFixed(1);
  const fr = result.frames;
  const over50 = result.longTasks.filter((d) => d > 50).length;
  console.log(`chromium ${browser.version()}, viewport 1440x900, ${os.cpus().length} cores, load average ${f(loadBefore)} → ${f(loadAfter)} (other processes on the machine)`);
  console.log(`blotter: ${rows.toLocaleString('en-US')} rows (${result.countText}); ${result.renderedRows} row elements in the DOM`);
  console.log(`stream: ${result.sent} quote updates in ${f(result.elapsed)} s (${f(result.sent / result.elapsed)}/s) into 40 live RFQ cards${scroll ? ', blotter scrolling 3 rows every frame' : ''}`);
  console.log(`wall clock (rAF, longtask observer):`);
  console.log(`  frames ${fr.length} (${f(fr.length / result.elapsed)} fps)  p50 ${f(pct(fr, 0.5))} ms  p95 ${f(pct(fr, 0.95))} ms  p99 ${f(pct(fr, 0.99))} ms  max ${f(fr[fr.length - 1] ?? NaN)} ms`);
  // rAF deltas at 60 Hz sit at 16.7 ± timer jitter; a frame later than 20 ms missed a vsync.
  const late = fr.filter((d) => d > 20).length;
  console.log(`  frames that missed a vsync (> 20 ms): ${late} of ${fr.length} (${f((100 * late) / Math.max(1, fr.length))}%)`);
  console.log(`  long tasks ${result.longTasks.length} (max ${f(result.longTasks.length ? Math.max(...result.longTasks) : 0)} ms, ${over50} over 50 ms)`);
  console.log(`renderer main thread, from the trace (${tasks.cpu.length} tasks over ${f(tasks.spanMs / 1000)} s):`);
  console.log(`  thread CPU: busy ${f((100 * cpuTotal) / Math.max(1, tasks.spanMs))}% of the time; per task p95 ${f(pct(cpuSorted, 0.95))} ms  p99 ${f(pct(cpuSorted, 0.99))} ms  max ${f(cpuSorted[cpuSorted.length - 1] ?? NaN)} ms; tasks over 50 ms CPU: ${tasks.cpu.filter((d) => d > 50).length}`);
  console.log(`  wall per task: p99 ${f(pct(wallSorted, 0.99))} ms  max ${f(wallSorted[wallSorted.length - 1] ?? NaN)} ms; over 50 ms: ${tasks.wall.filter((d) => d > 50).length}`);
  // A page that is not cross-origin isolated reads performance.now() in 0.1 ms steps, so a frame that lands
  // on every 60 Hz vsync (16.67 ms) measures 16.6 or 16.7 ms: the goal "under 16.7 ms" can only be judged at
  // that resolution. Both the raw figure and the verdict are printed.
  const p95 = pct(fr, 0.95);
  console.log(`  p95 frame, raw: ${p95.toFixed(3)} ms (timer resolution 0.1 ms; one 60 Hz frame = 16.667 ms)`);
  console.log(`goal (wall clock): no long task > 50 ms -> ${over50 === 0 ? 'MET' : 'MISSED'}; p95 frame < 16.7 ms -> ${p95 < 16.7 ? 'MET' : p95 < 16.75 ? 'MET at the timer resolution (p95 is one 60 Hz frame)' : 'MISSED'}`);
  console.log(`goal (thread CPU): no task > 50 ms -> ${tasks.cpu.some((d) => d > 50) ? 'MISSED' : 'MET'}`);

  if (!values['no-peer']) {
    // The peer: the same rows as a plain table, i.e. the blotter without virtualization.
    const peer = await page.evaluate(async (rows) => {
      const dealers = ['DLR-ALPHA', 'DLR-BRAVO', 'DLR-CHARLIE', 'DLR-DELTA'];
      const instruments = ['US91282CJL54', 'DE0001102614', 'GB00BMV7TC88', 'XS2724532486', 'FR001400HI98'];
      const start = performance.now();
      const host = document.createElement('div');
      host.className = 'vscroll';
      host.style.position = 'fixed';
      host.style.inset = '0';
      host.style.overflow = 'auto';
      const table = document.createElement('table');
      const body = document.createElement('tbody');
      for (let j = 0; j < rows; j++) {
        const tr = document.createElement('tr');
        for (const v of [`X${j}`, instruments[j % 5], j % 2 ? 'SELL' : 'BUY', '5m', (99 + (j % 300) / 100).toFixed(2), dealers[j % 4], 'filled']) {
          const td = document.createElement('td');
          td.textContent = v ?? '';
          tr.append(td);
        }
        body.append(tr);
      }
      table.append(body);
      host.append(table);
      document.body.append(host);
      void host.getBoundingClientRect().height;
      const buildMs = performance.now() - start;
      const frames: number[] = [];
      await new Promise<void>((resolve) => {
        let prev = performance.now();
        let k = 0;
        const step = (t: number) => {
          frames.push(t - prev);
          prev = t;
          host.scrollTop += 78;
          if (++k < 60) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      host.remove();
      frames.sort((a, b) => a - b);
      return { buildMs, p95: frames[Math.floor(0.95 * frames.length)] ?? NaN };
    }, rows);
    console.log(`peer, plain <table> of the same ${rows.toLocaleString('en-US')} rows (no virtualization): build + first layout ${f(peer.buildMs)} ms in one task; p95 frame while scrolling ${f(peer.p95)} ms`);
  }
} finally {
  await browser.close();
  await server.close();
  await rm(dist, { recursive: true, force: true });
}
