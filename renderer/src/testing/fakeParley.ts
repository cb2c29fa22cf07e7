/**
 * A test-only, in-memory ParleyApi: a pretend client core with a pretend dealer desk. For component tests
 * and UI-only browser tests (injected as window.parley); the real end-to-end runs use the browser preview.
 *
 * It has no imports but erasable types so a browser test can strip its types and inject it as is.
 */
import type {
  AppState,
  ConnectionEvent,
  ConnectionState,
  Dealer,
  EventName,
  EventPayload,
  Execution,
  Instrument,
  Listener,
  OpenRfq,
  ParleyApi,
  Quote,
  Rfq,
  Security,
  SessionEnd,
  StepUpChallenge,
  StepUpMethod,
} from '../../../main/ipc/contract.ts';

export interface FakeOptions {
  enrolled?: boolean;
  signedIn?: boolean;
  role?: string;
  /** Ask for step-up at sign-in with these methods. */
  stepUpOnSignIn?: StepUpMethod[];
  /** Sign-in is denied with this reason. */
  denyReason?: string;
  totpCode?: string;
  /** Dealers quote after this many ms (each a bit later than the previous). */
  quoteDelayMs?: number;
  /** Pre-loaded executions for the history. */
  history?: Execution[];
  webauthnRpId?: string;
  /** IT's managed config carries an enrollment token (the core tried it before the UI appeared). */
  silentEnrollment?: boolean;
  /** Calls that reject, with the error code and message to reject with. */
  failCalls?: Record<string, { code: string; message: string }>;
  /** registerSecurityKey answers 'rejected' with this reason (as the gateway does, e.g. a stale second factor). */
  keyRegistrationRefusal?: string;
}

export interface FakeControl {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  setConnection(state: ConnectionState, extra?: { retryInSec?: number; reason?: string; ended?: SessionEnd }): void;
  calls: { name: string; request: unknown }[];
  rfqs: Map<string, Rfq>;
  executions: Execution[];
  /** Resolves pending hit calls only when released (for double-submit tests). */
  holdHits: boolean;
  releaseHits(): void;
}

export function fakeInstruments(): Instrument[] {
  return [
    { symbol: 'US91282CJL54', description: 'UST 4.5% 15-Nov-2033', securityId: '91282CJL5', currency: 'USD', assetClass: 'Government bond' },
    { symbol: 'DE0001102614', description: 'DBR 2.6% 15-Aug-2033', currency: 'EUR', assetClass: 'Government bond' },
    { symbol: 'GB00BMV7TC88', description: 'UKT 4.25% 07-Jun-2032', currency: 'GBP', assetClass: 'Government bond' },
    { symbol: 'XS2724532486', description: 'Apple 4.3% 2033 corporate', currency: 'USD', assetClass: 'Corporate bond' },
    { symbol: 'FR001400HI98', description: 'OAT 3% 25-May-2033', currency: 'EUR', assetClass: 'Government bond' },
    { symbol: 'EURUSD-1M', description: 'EUR/USD 1M forward', currency: 'USD', assetClass: 'FX forward' },
  ];
}

export function fakeDealers(): Dealer[] {
  return [
    { id: 'DLR-ALPHA', name: 'Alpha Securities' },
    { id: 'DLR-BRAVO', name: 'Bravo Bank' },
    { id: 'DLR-CHARLIE', name: 'Charlie Markets' },
    { id: 'DLR-DELTA', name: 'Delta Capital' },
  ];
}

export function fakeSecurity(state: ConnectionState): Security {
  const now = Date.now();
  return {
    connection: state,
    gateway: { host: 'gateway.parley.test', port: 9443 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    certificate: {
      subject: 'CN=alice@desk-7,O=Parley Dev',
      issuer: 'CN=Parley Dev Enrollment CA',
      serialNumber: '4F:21:9A:0C',
      notBefore: new Date(now - 10 * 86_400_000).toISOString(),
      notAfter: new Date(now + 80 * 86_400_000).toISOString(),
      renewAt: new Date(now + 50 * 86_400_000).toISOString(),
    },
    posture: {
      collectedAt: new Date(now - 60_000).toISOString(),
      facts: [
        { name: 'Disk encryption', status: 'pass', value: 'LUKS2', evidence: 'lsblk -o NAME,TYPE,FSTYPE → sda3 crypt crypto_LUKS' },
        { name: 'Firewall', status: 'pass', value: 'nftables active', evidence: 'nft list ruleset → table inet filter (3 chains)' },
        { name: 'OS patch level', status: 'fail', value: '41 days', reason: 'Last security update is older than 30 days.', evidence: '/var/log/apt/history.log: last Start-Date 2026-10-11 09:12:44' },
        { name: 'Screen lock', status: 'unknown', reason: 'gsettings not available in this session.', evidence: 'gsettings get org.gnome.desktop.screensaver lock-enabled → exit 127' },
      ],
    },
    lastAttestationAt: new Date(now - 30_000).toISOString(),
    risk: {
      score: 35,
      decision: 'step-up',
      factors: [
        { name: 'new device', score: 20, detail: 'first sign-in from this certificate' },
        { name: 'patch level', score: 15, detail: 'OS updates 41 days old' },
      ],
    },
    policySource: '/etc/parley/policy.json',
  };
}

export function createFakeParley(options: FakeOptions = {}): { api: ParleyApi; control: FakeControl } {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const instruments = fakeInstruments();
  const dealers = fakeDealers();
  const totp = options.totpCode ?? '123456';
  const quoteDelay = options.quoteDelayMs ?? 400;
  let seq = 0;
  const nextId = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

  const app: AppState = {
    contractVersion: 1,
    connection: { state: options.signedIn ? 'connected' : options.enrolled === false ? 'enrollment-needed' : 'signed-out', at: new Date().toISOString() },
    enrolled: options.enrolled ?? true,
    silentEnrollment: options.silentEnrollment ?? false,
    user: options.signedIn ? { username: 'alice', role: options.role ?? 'trader' } : null,
    pendingStepUp: null,
    host: 'preview',
  };
  let pendingUser: { username: string; role: string } | null = null;
  const rfqs = new Map<string, Rfq>();
  const executions: Execution[] = [...(options.history ?? [])];
  const hitOnce = new Map<string, Execution>();
  let heldHits: (() => void)[] = [];
  const calls: { name: string; request: unknown }[] = [];

  function emit(event: string, payload: unknown) {
    // Events cross a process boundary in the real app: never hand out our own objects.
    const copy = JSON.parse(JSON.stringify(payload)) as unknown;
    for (const l of listeners.get(event) ?? []) l(copy);
  }
  function setConnection(state: ConnectionState, extra: { retryInSec?: number; reason?: string; ended?: SessionEnd } = {}) {
    const e: ConnectionEvent = { state, at: new Date().toISOString() };
    if (extra.retryInSec !== undefined) e.retryInSec = extra.retryInSec;
    if (extra.reason !== undefined) e.reason = extra.reason;
    if (extra.ended !== undefined) e.ended = extra.ended;
    app.connection = e;
    emit('connection', e);
  }
  function fail(code: string, message: string): never {
    throw Object.assign(new Error(message), { name: 'ParleyError', code });
  }
  async function enter(name: string, request: unknown) {
    calls.push({ name, request });
    await new Promise((r) => setTimeout(r, 5));
    const f = options.failCalls?.[name];
    if (f) fail(f.code, f.message);
  }
  function needSession() {
    if (!app.user) fail('not-signed-in', 'Not signed in.');
    if (app.connection.state !== 'connected') fail('not-connected', 'The session is not connected.');
  }
  function challenge(methods: StepUpMethod[]): StepUpChallenge {
    const c: StepUpChallenge = {
      challengeId: nextId('ch'),
      methods,
      reason: [
        { name: 'new device', score: 20, detail: 'first sign-in from this certificate' },
        { name: 'unusual location', score: 25, detail: 'Frankfurt, DE — usually London, GB' },
      ],
      expiresAt: new Date(Date.now() + 120_000).toISOString(),
      attemptsLeft: 3,
    };
    if (methods.includes('webauthn')) {
      c.webauthnOptions = { challenge: 'dGVzdC1jaGFsbGVuZ2UtZm9yLXBhcmxleQ', timeout: 60_000, rpId: options.webauthnRpId ?? 'localhost', userVerification: 'discouraged', allowCredentials: [] };
    }
    return c;
  }
  function expireLater(rfq: Rfq) {
    setTimeout(() => {
      const r = rfqs.get(rfq.clientRfqId);
      if (!r || r.status === 'executed' || r.status === 'cancelled') return;
      r.status = 'expired';
      for (const q of r.quotes) if (q.status === 'live') q.status = 'expired';
      emit('rfq', r);
    }, Date.parse(rfq.expiresAt) - Date.now());
  }
  function quoteLater(rfq: Rfq) {
    const asked = rfq.dealers === 'all' ? dealers.map((d) => d.id) : rfq.dealers;
    const mid = 100 + (rfq.instrument.length % 7) * 0.37;
    asked.forEach((dealer, i) => {
      setTimeout(() => {
        const r = rfqs.get(rfq.clientRfqId);
        if (!r || (r.status !== 'pending' && r.status !== 'quoted')) return;
        const spread = 0.05 + ((i * 37) % 11) / 100;
        const q: Quote = {
          quoteId: nextId('q'),
          dealer,
          price: Math.round((r.side === 'buy' ? mid + spread : mid - spread) * 1e4) / 1e4,
          quantity: r.quantity,
          validUntil: r.expiresAt,
          receivedAt: new Date().toISOString(),
          status: 'live',
        };
        r.quotes.push(q);
        r.status = 'quoted';
        emit('rfq', r);
      }, quoteDelay * (i + 1));
    });
  }

  const api: ParleyApi = {
    contractVersion: 1,
    async getState() {
      await enter('getState', {});
      return JSON.parse(JSON.stringify(app)) as AppState;
    },
    async enroll(req) {
      await enter('enroll', req);
      if (/bad|used/i.test(req.token)) fail('denied', 'The enrollment token is unknown or was already used.');
      await new Promise((r) => setTimeout(r, 300));
      app.enrolled = true;
      setConnection('signed-out');
      return { subject: 'CN=alice@desk-7,O=Parley Dev', notAfter: new Date(Date.now() + 90 * 86_400_000).toISOString() };
    },
    async signIn(req) {
      await enter('signIn', req);
      if (options.denyReason) {
        setConnection('denied', { reason: options.denyReason });
        return app.connection;
      }
      if (req.password === 'wrong') {
        setConnection('denied', { reason: 'Wrong username or password.' });
        return app.connection;
      }
      const user = { username: req.username, role: options.role ?? 'trader' };
      if (options.stepUpOnSignIn && options.stepUpOnSignIn.length > 0) {
        pendingUser = user;
        const c = challenge(options.stepUpOnSignIn);
        app.pendingStepUp = c;
        setConnection('challenged');
        emit('stepUpChallenge', c);
        return app.connection;
      }
      app.user = user;
      setConnection('connected');
      return app.connection;
    },
    async signOut() {
      await enter('signOut', {});
      app.user = null;
      setConnection('signed-out');
      return { ok: true };
    },
    async answerStepUp(req) {
      await enter('answerStepUp', req);
      const c = app.pendingStepUp;
      if (!c || c.challengeId !== req.challengeId) fail('not-found', 'No such step-up challenge.');
      const good = req.method === 'totp' ? req.code === totp : req.credential.type === 'public-key' && req.credential.response.signature.length > 0;
      if (!good) {
        c.attemptsLeft -= 1;
        if (c.attemptsLeft <= 0) {
          app.pendingStepUp = null;
          emit('stepUpResolved', { challengeId: c.challengeId, outcome: 'locked' });
          setConnection('denied', { reason: 'Step-up locked after too many failed attempts.' });
          return { outcome: 'locked', attemptsLeft: 0 };
        }
        return { outcome: 'rejected', attemptsLeft: c.attemptsLeft, reason: 'That code is not valid.' };
      }
      app.pendingStepUp = null;
      if (pendingUser) app.user = pendingUser;
      pendingUser = null;
      emit('stepUpResolved', { challengeId: c.challengeId, outcome: 'accepted' });
      setConnection('connected');
      return { outcome: 'accepted' };
    },
    async cancelStepUp(req) {
      await enter('cancelStepUp', req);
      if (app.pendingStepUp?.challengeId === req.challengeId) {
        app.pendingStepUp = null;
        pendingUser = null;
        if (!app.user) setConnection('signed-out');
      }
      return { ok: true };
    },
    async listInstruments() {
      await enter('listInstruments', {});
      return instruments.map((i) => ({ ...i }));
    },
    async listDealers() {
      await enter('listDealers', {});
      return dealers.map((d) => ({ ...d }));
    },
    async listRfqs() {
      await enter('listRfqs', {});
      return JSON.parse(JSON.stringify([...rfqs.values()])) as Rfq[];
    },
    async createRfq(req) {
      await enter('createRfq', req);
      needSession();
      const existing = rfqs.get(req.clientRfqId);
      if (existing) return JSON.parse(JSON.stringify(existing)) as Rfq;
      const now = Date.now();
      const rfq: Rfq = {
        clientRfqId: req.clientRfqId,
        instrument: req.instrument,
        side: req.side,
        quantity: req.quantity,
        settlementDate: req.settlementDate,
        dealers: req.dealers,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + req.expirySeconds * 1000).toISOString(),
        status: 'pending',
        quotes: [],
      };
      rfqs.set(rfq.clientRfqId, rfq);
      quoteLater(rfq);
      expireLater(rfq);
      return JSON.parse(JSON.stringify(rfq)) as Rfq;
    },
    async hitQuote(req) {
      await enter('hitQuote', req);
      needSession();
      const done = hitOnce.get(req.clientRfqId);
      if (done) return { status: 'duplicate', execution: done };
      const r = rfqs.get(req.clientRfqId);
      const q = r?.quotes.find((x) => x.quoteId === req.quoteId);
      if (!r || !q) fail('not-found', 'No such RFQ or quote.');
      if (q.status !== 'live' || Date.parse(q.validUntil) <= Date.now()) return { status: 'rejected', reason: 'The quote is no longer live.' };
      if (control.holdHits) await new Promise<void>((resolve) => heldHits.push(resolve));
      const x: Execution = {
        execId: nextId('x'),
        clientRfqId: r.clientRfqId,
        quoteId: q.quoteId,
        dealer: q.dealer,
        instrument: r.instrument,
        side: r.side,
        quantity: r.quantity,
        price: q.price,
        settlementDate: r.settlementDate,
        transactTime: new Date().toISOString(),
      };
      hitOnce.set(r.clientRfqId, x);
      q.status = 'hit';
      // As the client core does on a fill: the other dealers' quotes are void.
      for (const o of r.quotes) if (o !== q && o.status === 'live') o.status = 'cancelled';
      r.status = 'executed';
      executions.push(x);
      emit('rfq', r);
      emit('execution', x);
      return { status: 'filled', execution: x };
    },
    async passQuote(req) {
      await enter('passQuote', req);
      const q = rfqs.get(req.clientRfqId)?.quotes.find((x) => x.quoteId === req.quoteId);
      if (q && q.status === 'live') {
        q.status = 'passed';
        emit('rfq', rfqs.get(req.clientRfqId));
      }
      return { ok: true };
    },
    async cancelRfq(req) {
      await enter('cancelRfq', req);
      const r = rfqs.get(req.clientRfqId);
      if (!r) fail('not-found', 'No such RFQ.');
      if (r.status === 'executed') fail('conflict', 'The RFQ is already done.');
      r.status = 'cancelled';
      for (const q of r.quotes) if (q.status === 'live') q.status = 'cancelled';
      emit('rfq', r);
      return { ok: true };
    },
    async queryHistory(req) {
      await enter('queryHistory', req);
      return executions
        .filter((x) => x.transactTime.slice(0, 10) >= req.from && x.transactTime.slice(0, 10) <= req.to)
        .filter((x) => !req.instrument || x.instrument === req.instrument)
        .filter((x) => !req.side || x.side === req.side)
        .map((x) => ({ ...x }));
    },
    async getSecurity() {
      await enter('getSecurity', {});
      return fakeSecurity(app.connection.state);
    },
    async listOpenRfqs() {
      await enter('listOpenRfqs', {});
      if (!/risk/i.test(app.user?.role ?? '')) fail('forbidden', 'Risk officers only.');
      const now = Date.now();
      const owners = ['alice', 'bob', 'carol', 'dan'];
      const list: OpenRfq[] = instruments.slice(0, 5).map((i, n) => ({
        rfqId: `R-${1000 + n}`,
        owner: owners[n % owners.length] ?? 'x',
        instrument: i.symbol,
        side: n % 2 ? 'sell' : 'buy',
        quantity: (n + 1) * 5_000_000,
        status: n % 3 ? 'quoted' : 'pending',
        quoteCount: n % 4,
        createdAt: new Date(now - n * 7_000).toISOString(),
        expiresAt: new Date(now + 60_000 - n * 7_000).toISOString(),
      }));
      return list;
    },
    async registerSecurityKey(req) {
      await enter('registerSecurityKey', req);
      if (app.connection.state !== 'connected') fail('not-connected', 'Not connected to the gateway.');
      if (options.keyRegistrationRefusal) return { status: 'rejected', reason: options.keyRegistrationRefusal };
      if (req.stage === 'begin') {
        return {
          status: 'options', registrationId: 'KR-1',
          options: {
            challenge: 'ZmFrZS1jaGFsbGVuZ2U', rp: { name: 'Parley', id: options.webauthnRpId ?? 'localhost' },
            user: { id: 'YWxpY2U', name: app.user?.username ?? 'alice', displayName: '' },
            pubKeyCredParams: [{ alg: -7, type: 'public-key' }], timeout: 60_000, attestation: 'none',
          },
        };
      }
      if (req.registrationId !== 'KR-1') return { status: 'rejected', reason: 'no such registration on this connection; start again' };
      return { status: 'registered', credentialId: req.credential.id };
    },
    on<E extends EventName>(event: E, listener: Listener<E>) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => void set.delete(l);
    },
  };

  const control: FakeControl = {
    emit: (event, payload) => emit(event, payload),
    setConnection,
    calls,
    rfqs,
    executions,
    holdHits: false,
    releaseHits() {
      const h = heldHits;
      heldHits = [];
      for (const r of h) r();
    },
  };
  return { api, control };
}
