import type {
  AppState,
  ConnectionEvent,
  Execution,
  Instrument,
  OpenRfq,
  Notification,
  ParleyApi,
  Rfq,
  Security,
  StepUpChallenge,
} from '../../main/ipc/contract.ts';
import type { Explained } from './lib/errors.ts';
import { formatQuantity } from './lib/quantity.ts';
import { formatPrice, tickOf } from './lib/prices.ts';
import { buildBlotter, executionRow, progressOf, rfqRow, todayUtc, type BlotterRow } from './lib/blotterRows.ts';


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
  instruments = new Map<string, Instrument>();
  /** Every execution of today this renderer knows (events and the gateway's report), by ExecID. */
  executions = new Map<string, Execution>();

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
  /** While a snapshot is being fetched: the events that arrived meanwhile, replayed over it. */
  #inFlight: { rfqs: Map<string, Rfq>; executions: Execution[] } | null = null;
  #loadSeq = 0;
  #loadedOnce = false;
  /** Toasts that came from the core: stale once the session is back, and cleared then. */
  #coreToasts = new Set<string>();

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
      api.on('notification', (n) => this.#onNotification(n)),
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

  /**
   * The core's notices, deduplicated (the same notice twice is one toast). A notice about the session's state
   * is one toast at most, and none while the session banner or screen already shows why the session ended.
   */
  #onNotification(n: Notification): void {
    const key = n.topic === 'session' ? 'core:session' : `core:${n.level}|${n.title}|${n.message}`;
    if (n.topic === 'session' && this.#endShown(this.app?.connection)) return;
    this.#coreToasts.add(key);
    this.toast(n.level, n.title, n.message, key);
  }

  #endShown(c: ConnectionEvent | undefined): boolean {
    return !!c?.ended && c.ended.cause !== 'network-lost' && c.state !== 'connected';
  }

  #onConnection(e: ConnectionEvent): void {
    const previous = this.app?.connection.state;
    if (this.#endShown(e)) this.dismissToast('core:session');
    if (e.state === 'connected' && previous !== undefined && previous !== 'connected') {
      // Signed back in: what the core said about the last session must not stay over the blotter.
      for (const id of this.#coreToasts) this.dismissToast(id);
      this.#coreToasts.clear();
    }
    if (this.app) this.app = { ...this.app, connection: e };
    this.#mark('app');
    if (this.security && this.security.connection !== e.state) {
      this.security = { ...this.security, connection: e.state };
      this.#mark('security');
    }
    if (e.state === 'connected' && previous === 'reconnecting') this.toast('success', 'Reconnected', 'The session resumed; nothing was lost.');
    // After every (re)logon the views are rebuilt from the core's state and the gateway's trade report,
    // not from whatever events this page happened to see while the link was down.
    if (e.state === 'connected' && previous !== undefined && previous !== 'connected' && this.#loadedOnce) {
      this.loadSession().catch(() => undefined);
    }
    // A user or role change (sign-in completing after step-up, sign-out) is not in the event: re-read.
    if (previous !== e.state && (e.state === 'connected' || e.state === 'signed-out' || e.state === 'enrollment-needed')) {
      this.refreshState().catch(() => undefined);
    }
  }

  dealerName(id: string): string {
    return this.dealerNames.get(id) ?? id;
  }

  /** The tick an instrument's prices are shown to. */
  tick(symbol: string): number {
    return tickOf(this.instruments.get(symbol));
  }

  /**
   * Rebuilds the RFQs and the blotter from the core's state (its RFQs) and the gateway's trade report for
   * today: on load, after a renderer reload and after every reconnect. The snapshot replaces what this page
   * had; events that arrive while it is being fetched are replayed over it when they are further along.
   */
  async loadSession(): Promise<void> {
    const seq = ++this.#loadSeq;
    const during = { rfqs: new Map<string, Rfq>(), executions: [] as Execution[] };
    this.#inFlight = during;
    const today = todayUtc();
    try {
      const [rfqs, trades] = await Promise.all([
        this.api.listRfqs(),
        // The trade report can be refused (not connected yet): keep the trades known so far and rebuild on the next logon.
        this.api.queryHistory({ from: today, to: today }).catch(() => null),
      ]);
      if (seq !== this.#loadSeq) return;
      const next = new Map<string, Rfq>();
      for (const r of rfqs) next.set(r.clientRfqId, r);
      for (const r of during.rfqs.values()) {
        const snap = next.get(r.clientRfqId);
        if (!snap || progressOf(r) >= progressOf(snap)) next.set(r.clientRfqId, r);
      }
      const execs = trades ? new Map(trades.map((x) => [x.execId, x])) : new Map(this.executions);
      for (const x of during.executions) execs.set(x.execId, x);
      // A trade of an RFQ the core still reports belongs to today even if the report was not available.
      this.rfqs = next;
      this.executions = execs;
      this.#loadedOnce = true;
      this.loadBlotter(buildBlotter(next.values(), execs.values(), this.dealerNames));
      this.#mark('rfqs');
    } finally {
      if (this.#inFlight === during) this.#inFlight = null;
    }
  }

  upsertRfq(rfq: Rfq, notify: boolean): void {
    const before = this.rfqs.get(rfq.clientRfqId);
    this.#inFlight?.rfqs.set(rfq.clientRfqId, rfq);
    this.rfqs.set(rfq.clientRfqId, rfq);
    this.#mark('rfqs');
    const row = rfqRow(rfq, this.dealerNames);
    const at = this.#rfqRowAt.get(rfq.clientRfqId);
    if (at === undefined) this.#appendRow(row);
    else this.blotter[at] = row;
    this.#mark('blotter');
    if (!notify) return;
    const newQuotes = rfq.quotes.filter((q) => !before?.quotes.some((b) => b.quoteId === q.quoteId));
    // Quotes only matter while the RFQ can trade: none is announced for one that ended.
    if (newQuotes.length > 0 && (rfq.status === 'quoted' || rfq.status === 'pending')) {
      const last = newQuotes[newQuotes.length - 1]!;
      const count = rfq.quotes.length;
      this.toast('info', `Quote on ${rfq.instrument}`, `${this.dealerName(last.dealer)} ${rfq.side === 'buy' ? 'offers' : 'bids'} ${formatPrice(last.price, this.tick(rfq.instrument))} for ${formatQuantity(rfq.quantity)} · ${count} ${count === 1 ? 'quote' : 'quotes'} so far`, `quotes:${rfq.clientRfqId}`);
    }
    if (before && before.status !== rfq.status) this.#statusNotice(before, rfq);
  }

  /** One notice per RFQ that ends without a trade, replacing its quote notice (which is stale by then). */
  #statusNotice(before: Rfq, rfq: Rfq): void {
    const what = `${rfq.side === 'buy' ? 'Buy' : 'Sell'} ${formatQuantity(rfq.quantity)} ${rfq.instrument}`;
    const reason = rfq.reason ? `: ${rfq.reason}` : '';
    let notice: [Toast['level'], string, string] | null = null;
    if (rfq.status === 'expired' && before.status !== 'executed') notice = ['warning', 'RFQ expired', `${what} expired with no trade${reason}.`];
    else if (rfq.status === 'cancelled') notice = ['info', 'RFQ cancelled', `${what} was cancelled${reason}.`];
    else if (rfq.status === 'rejected') notice = ['warning', 'RFQ rejected', `${what} was rejected${reason}.`];
    if (!notice) return;
    this.dismissToast(`quotes:${rfq.clientRfqId}`);
    this.toast(notice[0], notice[1], notice[2], `status:${rfq.clientRfqId}`);
  }

  addExecution(x: Execution, notify: boolean): void {
    this.#inFlight?.executions.push(x);
    if (this.#execSeen.has(x.execId)) return;
    this.executions.set(x.execId, x);
    this.#appendRow(executionRow(x, this.dealerNames));
    this.#mark('blotter');
    this.#mark('rfqs');
    if (notify) {
      this.dismissToast(`quotes:${x.clientRfqId}`);
      this.toast('success', 'Trade done', `${x.side === 'buy' ? 'Bought' : 'Sold'} ${formatQuantity(x.quantity)} ${x.instrument} at ${formatPrice(x.price, this.tick(x.instrument))} with ${this.dealerName(x.dealer)}`);
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
