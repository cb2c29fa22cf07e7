import type {
  AppState,
  ConnectionEvent,
  Execution,
  OpenRfq,
  ParleyApi,
  Rfq,
  Security,
  StepUpChallenge,
} from '../../main/ipc/contract.ts';
import { bestQuoteIndex } from './lib/quotes.ts';
import type { Explained } from './lib/errors.ts';
import { formatQuantity } from './lib/quantity.ts';

/** One line of the blotter: an RFQ (kept current as quotes arrive) or an execution. */
export interface BlotterRow {
  key: string;
  kind: 'RFQ' | 'TRADE';
  time: string;
  id: string;
  instrument: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number | null;
  dealer: string;
  status: string;
  quotes: number;
}

export interface Toast {
  id: string;
  level: 'info' | 'success' | 'warning' | 'error';
  title: string;
  message: string;
  at: number;
}

export type Slice = 'app' | 'rfqs' | 'blotter' | 'toasts' | 'security' | 'openRfqs' | 'stepUp';

const MAX_TOASTS = 3;
const TOAST_MS: Record<Toast['level'], number> = { info: 4_000, success: 6_000, warning: 10_000, error: 0 };
// Bounds what a misbehaving main process can make us hold; 100k is the blotter's design load.
const MAX_BLOTTER = 200_000;

/**
 * The renderer's single source of truth, fed by ParleyApi events. Events can arrive a thousand times a
 * second, so changes mark slices dirty and subscribers are told at most once per animation frame.
 */
export class Store {
  readonly api: ParleyApi;
  app: AppState | null = null;
  rfqs = new Map<string, Rfq>();
  blotter: BlotterRow[] = [];
  security: Security | null = null;
  openRfqs: OpenRfq[] = [];
  openRfqsError: Explained | null = null;
  stepUp: StepUpChallenge | null = null;
  stepUpOutcome: string | null = null;
  toasts: Toast[] = [];
  dealerNames = new Map<string, string>();

  // Only RFQ rows change in place; executions are append-only and need only a duplicate check. Keeping
  // the indexes this small matters: 100k extra live objects make every major GC slower.
  #rfqRowAt = new Map<string, number>();
  #execSeen = new Set<string>();
  #versions: Record<Slice, number> = { app: 0, rfqs: 0, blotter: 0, toasts: 0, security: 0, openRfqs: 0, stepUp: 0 };
  #listeners = new Map<Slice, Set<() => void>>();
  #dirty = new Set<Slice>();
  #scheduled = false;
  #unsubscribe: (() => void)[] = [];
  #toastSeq = 0;
  #toastTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(api: ParleyApi) {
    this.api = api;
  }

  start(): void {
    const api = this.api;
    this.#unsubscribe.push(
      api.on('connection', (e) => this.#onConnection(e)),
      api.on('rfq', (r) => this.upsertRfq(r, true)),
      api.on('execution', (x) => this.addExecution(x, true)),
      api.on('stepUpChallenge', (c) => {
        this.stepUp = c;
        this.stepUpOutcome = null;
        this.#mark('stepUp');
      }),
      api.on('stepUpResolved', (r) => {
        if (this.stepUp?.challengeId === r.challengeId) {
          this.stepUp = null;
          this.stepUpOutcome = r.outcome;
          this.#mark('stepUp');
          if (r.outcome !== 'accepted') this.toast('warning', 'Step-up ended', outcomeText(r.outcome));
        }
      }),
      api.on('security', (s) => {
        this.security = s;
        this.#mark('security');
      }),
      api.on('notification', (n) => {
        this.toast(n.level, n.title, n.message);
      }),
      api.on('openRfqs', (list) => {
        this.openRfqs = list;
        this.openRfqsError = null;
        this.#mark('openRfqs');
      }),
    );
  }

  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const t of this.#toastTimers.values()) clearTimeout(t);
    this.#toastTimers.clear();
  }

  async refreshState(): Promise<AppState> {
    const state = await this.api.getState();
    this.setApp(state);
    return state;
  }

  setApp(state: AppState): void {
    this.app = state;
    if (state.pendingStepUp && this.stepUp?.challengeId !== state.pendingStepUp.challengeId) {
      this.stepUp = state.pendingStepUp;
      this.#mark('stepUp');
    }
    this.#mark('app');
  }

  #onConnection(e: ConnectionEvent): void {
    const previous = this.app?.connection.state;
    if (this.app) this.app = { ...this.app, connection: e };
    this.#mark('app');
    if (this.security && this.security.connection !== e.state) {
      this.security = { ...this.security, connection: e.state };
      this.#mark('security');
    }
    if (e.state === 'connected' && previous === 'reconnecting') this.toast('success', 'Reconnected', 'The session resumed; nothing was lost.');
    // A user or role change (sign-in completing after step-up, sign-out) is not in the event: re-read.
    if (previous !== e.state && (e.state === 'connected' || e.state === 'signed-out' || e.state === 'enrollment-needed')) {
      this.refreshState().catch(() => undefined);
    }
  }

  dealerName(id: string): string {
    return this.dealerNames.get(id) ?? id;
  }

  /** Loads what this session already has (also after a renderer reload). */
  async loadSession(): Promise<void> {
    const rfqs = await this.api.listRfqs();
    for (const r of rfqs) this.upsertRfq(r, false);
  }

  upsertRfq(rfq: Rfq, notify: boolean): void {
    const before = this.rfqs.get(rfq.clientRfqId);
    this.rfqs.set(rfq.clientRfqId, rfq);
    this.#mark('rfqs');
    const row = rfqRow(rfq, this.dealerNames);
    const at = this.#rfqRowAt.get(rfq.clientRfqId);
    if (at === undefined) this.#appendRow(row);
    else this.blotter[at] = row;
    this.#mark('blotter');
    if (!notify) return;
    const newQuotes = rfq.quotes.filter((q) => !before?.quotes.some((b) => b.quoteId === q.quoteId));
    if (newQuotes.length > 0) {
      const last = newQuotes[newQuotes.length - 1]!;
      this.toast('info', `Quote on ${rfq.instrument}`, `${this.dealerName(last.dealer)} ${rfq.side === 'buy' ? 'offers' : 'bids'} ${formatPrice(last.price)} for ${formatQuantity(rfq.quantity)} (${rfq.quotes.length} in)`, 'quotes');
    }
    if (before && before.status !== rfq.status && (rfq.status === 'rejected' || (rfq.status === 'expired' && before.status !== 'executed'))) {
      this.toast('warning', `RFQ ${rfq.status}`, `${rfq.instrument} ${formatQuantity(rfq.quantity)}${rfq.reason ? `: ${rfq.reason}` : ''}`, `status:${rfq.clientRfqId}`);
    }
  }

  addExecution(x: Execution, notify: boolean): void {
    if (this.#execSeen.has(x.execId)) return;
    this.#appendRow(executionRow(x, this.dealerNames));
    this.#mark('blotter');
    this.#mark('rfqs');
    if (notify) {
      this.toast('success', 'Trade done', `${x.side === 'buy' ? 'Bought' : 'Sold'} ${formatQuantity(x.quantity)} ${x.instrument} at ${formatPrice(x.price)} with ${this.dealerName(x.dealer)}`);
    }
  }

  /** Replaces the blotter wholesale and rebuilds its indexes (used to trim it to the newest rows). */
  loadBlotter(rows: BlotterRow[]): void {
    this.blotter = rows.slice(-MAX_BLOTTER);
    this.#rfqRowAt.clear();
    this.#execSeen.clear();
    this.blotter.forEach((r, i) => (r.kind === 'RFQ' ? this.#rfqRowAt.set(r.id, i) : this.#execSeen.add(r.id)));
    this.#mark('blotter');
  }

  #appendRow(row: BlotterRow): void {
    if (this.blotter.length >= MAX_BLOTTER) {
      // Rare enough to pay for the rebuild: keep the newest rows.
      this.loadBlotter(this.blotter.slice(this.blotter.length - MAX_BLOTTER + 1));
    }
    if (row.kind === 'RFQ') this.#rfqRowAt.set(row.id, this.blotter.length);
    else this.#execSeen.add(row.id);
    this.blotter.push(row);
  }

  /**
   * Shows a notification. A toast with the same key is updated where it stands (no re-ordering, no new
   * timer), so a stream of quotes is one toast that keeps its place rather than a flicker of new ones.
   */
  toast(level: Toast['level'], title: string, message: string, coalesceKey?: string): void {
    const id = coalesceKey ?? `t${++this.#toastSeq}`;
    const toast: Toast = { id, level, title: title.slice(0, 200), message: message.slice(0, 600), at: Date.now() };
    const at = this.toasts.findIndex((t) => t.id === id);
    if (at >= 0) {
      this.toasts = this.toasts.map((t, i) => (i === at ? toast : t));
      if (!this.#toastTimers.has(id)) this.#armToast(toast);
      this.#mark('toasts');
      return;
    }
    const next = [...this.toasts, toast];
    // Toasts pushed out by newer ones take their timers with them.
    for (const dropped of next.splice(0, Math.max(0, next.length - MAX_TOASTS))) {
      clearTimeout(this.#toastTimers.get(dropped.id));
      this.#toastTimers.delete(dropped.id);
    }
    this.toasts = next;
    this.#armToast(toast);
    this.#mark('toasts');
  }

  #armToast(toast: Toast, delay = TOAST_MS[toast.level]): void {
    // Errors stay until dismissed: nothing should fail silently.
    if (toast.level === 'error') return;
    const timer = setTimeout(() => {
      this.#toastTimers.delete(toast.id);
      const current = this.toasts.find((t) => t.id === toast.id);
      if (!current) return;
      const left = current.at + TOAST_MS[current.level] - Date.now();
      if (left > 50) this.#armToast(current, left);
      else this.dismissToast(current.id);
    }, delay);
    this.#toastTimers.set(toast.id, timer);
  }

  dismissToast(id: string): void {
    const t = this.#toastTimers.get(id);
    if (t) clearTimeout(t);
    this.#toastTimers.delete(id);
    const next = this.toasts.filter((x) => x.id !== id);
    if (next.length !== this.toasts.length) {
      this.toasts = next;
      this.#mark('toasts');
    }
  }

  setSecurity(s: Security): void {
    this.security = s;
    this.#mark('security');
  }

  setOpenRfqs(list: OpenRfq[] | null, error: Explained | null): void {
    if (list) this.openRfqs = list;
    this.openRfqsError = error;
    this.#mark('openRfqs');
  }

  clearStepUp(outcome: string): void {
    this.stepUp = null;
    this.stepUpOutcome = outcome;
    this.#mark('stepUp');
  }

  version(slice: Slice): number {
    return this.#versions[slice];
  }

  subscribe(slice: Slice, listener: () => void): () => void {
    let set = this.#listeners.get(slice);
    if (!set) this.#listeners.set(slice, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  #mark(slice: Slice): void {
    this.#versions[slice] += 1;
    this.#dirty.add(slice);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = () => {
      this.#scheduled = false;
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      for (const s of dirty) for (const l of this.#listeners.get(s) ?? []) l();
    };
    // One render per frame however many events arrived; a hidden page has no frames, so fall back.
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
      let fired = false;
      const once = () => {
        if (!fired) {
          fired = true;
          flush();
        }
      };
      requestAnimationFrame(once);
      setTimeout(once, 100);
    } else setTimeout(flush, 16);
  }
}

export function outcomeText(outcome: string): string {
  switch (outcome) {
    case 'accepted':
      return 'Verified.';
    case 'rejected':
      return 'The code or key was not accepted.';
    case 'locked':
      return 'Too many failed attempts: step-up is locked. Contact the service desk to unlock.';
    case 'expired':
      return 'The step-up request expired. Sign in or repeat the action to get a new one.';
    case 'cancelled':
      return 'Step-up cancelled; the action that needed it was not done.';
    default:
      return outcome;
  }
}

// Building a NumberFormat per call costs tens of microseconds; at 1,000 updates/s that matters.
const PRICE = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 });

export function formatPrice(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return PRICE.format(p);
}

export function rfqRow(r: Rfq, names: ReadonlyMap<string, string> = new Map()): BlotterRow {
  const best = bestQuoteIndex(r.quotes, r.side, (q) => q.price, (q) => q.status === 'live' || q.status === 'hit');
  const hit = r.quotes.find((q) => q.status === 'hit');
  const shown = hit ?? (best >= 0 ? r.quotes[best] : undefined);
  return {
    key: `rfq:${r.clientRfqId}`,
    kind: 'RFQ',
    time: r.createdAt,
    id: r.clientRfqId,
    instrument: r.instrument,
    side: r.side,
    quantity: r.quantity,
    price: shown?.price ?? null,
    dealer: shown ? (names.get(shown.dealer) ?? shown.dealer) : r.dealers === 'all' ? 'all' : r.dealers.join(' '),
    status: r.status,
    quotes: r.quotes.length,
  };
}

export function executionRow(x: Execution, names: ReadonlyMap<string, string> = new Map()): BlotterRow {
  return {
    key: `exec:${x.execId}`,
    kind: 'TRADE',
    time: x.transactTime,
    id: x.execId,
    instrument: x.instrument,
    side: x.side,
    quantity: x.quantity,
    price: x.price,
    dealer: names.get(x.dealer) ?? x.dealer,
    status: 'filled',
    quotes: 0,
  };
}
