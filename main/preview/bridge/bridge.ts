/**
 * Browser side of the preview (browser-only code): defines window.parley with the same ParleyApi the Electron
 * preload exposes, over the preview server's HTTP calls and Server-Sent Events. Requests, responses and events
 * are validated by the shared contract here too.
 *
 * Access without cookies (a cookie would reach every other server on localhost, whatever its port): the printed
 * URL's fragment (#k=…) carries the per-run secret. It is moved into this origin's sessionStorage (other ports
 * are other origins and cannot read it; a reload still works) and out of the address bar, then exchanged for a
 * page token held only in this script's memory and sent as a header. Events come over fetch (EventSource cannot
 * send a header).
 */
import { createParleyApi, type EventEnvelope } from '../../ipc/contract.ts';

const KEY_STORE = 'parley.preview.key';

function launchKey(): string {
  const params = new URLSearchParams(location.hash.slice(1));
  const k = params.get('k');
  if (k) {
    sessionStorage.setItem(KEY_STORE, k);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY_STORE) ?? '';
}

const key = launchKey();
let token: Promise<string> | null = null;

/** The page token; `fresh` after the server said ours is gone (the least recently used is dropped past a cap). */
function pageToken(fresh = false): Promise<string> {
  if (token === null || fresh) {
    const p = fetch('/__parley/session', { method: 'POST', headers: { 'x-parley-key': key }, credentials: 'omit', cache: 'no-store' })
      .then(async (r) => {
        if (!r.ok) throw new Error(`the preview refused this page (${r.status}): open it through the URL it printed`);
        const body = (await r.json()) as { token?: unknown };
        if (typeof body.token !== 'string') throw new Error('the preview answered outside its protocol');
        return body.token;
      });
    token = p;
    p.catch(() => { if (token === p) token = null; });
    return p;
  }
  return token;
}

const handlers: Array<(e: EventEnvelope) => void> = [];
function deliver(data: string): void {
  let env: EventEnvelope;
  try {
    env = JSON.parse(data) as EventEnvelope;
  } catch {
    return;
  }
  for (const h of handlers) h(env);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One event stream for this page, reconnected after a drop (as EventSource would), re-authorised on 401. */
async function events(): Promise<void> {
  for (;;) {
    try {
      const res = await fetch('/__parley/events', { headers: { 'x-parley-token': await pageToken() }, credentials: 'omit', cache: 'no-store' });
      if (res.status === 401) await pageToken(true);
      else if (res.ok && res.body) {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            for (const line of buf.slice(0, i).split('\n')) if (line.startsWith('data: ')) deliver(line.slice(6));
            buf = buf.slice(i + 2);
          }
        }
      }
    } catch { /* dropped or refused: retried below */ }
    await sleep(1_000);
  }
}
void events();

const api = createParleyApi({
  async invoke(envelope) {
    const body = JSON.stringify(envelope);
    for (let attempt = 0; ; attempt++) {
      const res = await fetch('/__parley/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-parley-token': await pageToken(attempt > 0) },
        body,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (res.status === 401 && attempt === 0) continue;
      return res.json();
    }
  },
  subscribe(handler) {
    handlers.push(handler);
  },
});

Object.defineProperty(window, 'parley', { value: api, writable: false, configurable: false, enumerable: true });
