/**
 * Browser side of the preview (browser-only code): defines window.parley with the same ParleyApi the Electron
 * preload exposes, over the preview server's HTTP calls and Server-Sent Events. Requests, responses and events
 * are validated by the shared contract here too.
 */
import { createParleyApi, type EventEnvelope } from '../../ipc/contract.ts';

const handlers: Array<(e: EventEnvelope) => void> = [];
const events = new EventSource('/__parley/events');
events.onmessage = (m: MessageEvent<string>) => {
  let env: EventEnvelope;
  try {
    env = JSON.parse(m.data) as EventEnvelope;
  } catch {
    return;
  }
  for (const h of handlers) h(env);
};

const api = createParleyApi({
  async invoke(envelope) {
    const res = await fetch('/__parley/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    return res.json();
  },
  subscribe(handler) {
    handlers.push(handler);
  },
});

Object.defineProperty(window, 'parley', { value: api, writable: false, configurable: false, enumerable: true });
