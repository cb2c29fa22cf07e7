/**
 * The state one session's modules share (flags of the Logon/Logout exchange, the writer, the gap queue and
 * the clock). FixSession owns one; nothing outside fix/session/ sees it.
 */
import { fix44Dictionary, type Dictionary } from '../dictionary/dictionary.ts';
import type { MessageStore } from '../store.ts';
import type { FixConnection } from '../transport.ts';
import type { SessionRegistry } from './registry.ts';
import { GapQueue } from './sequence.ts';
import type { FixSession } from './session.ts';
import { SessionClock } from './timers.ts';
import type { AcceptOptions, CloseCause, CloseKind, Role, SessionConfig, SessionState } from './types.ts';
import { SessionWriter } from './writer.ts';

export class SessionContext {
  readonly session: FixSession;
  readonly role: Role;
  readonly accept: AcceptOptions | undefined;
  readonly registry: SessionRegistry;
  registryKey: string | undefined;
  connection: FixConnection | undefined;
  config: SessionConfig | undefined;
  state: SessionState = 'connecting';
  closed = false;
  closeCause: CloseCause | undefined;
  receivedLogon = false;
  sentLogon = false;
  sentLogout = false;
  sentReset = false;
  receivedReset = false;
  hbMs = 0;
  readonly writer: SessionWriter;
  readonly gaps = new GapQueue();
  readonly clock = new SessionClock();

  constructor(session: FixSession, conn: FixConnection, role: Role, cfg: SessionConfig | undefined, accept: AcceptOptions | undefined, registry: SessionRegistry) {
    this.session = session;
    this.connection = conn;
    this.role = role;
    this.config = cfg;
    this.accept = accept;
    this.registry = registry;
    this.writer = new SessionWriter(this);
  }

  get cfg(): SessionConfig { return this.config!; }
  get store(): MessageStore { return this.config!.store; }
  get unit(): number { return this.config?.heartbeatUnitMs ?? 1000; }
  get dict(): Dictionary { return this.config?.dictionary ?? fix44Dictionary(); }
  get beginString(): string { return this.config?.beginString ?? 'FIX.4.4'; }

  event(text: string): void { this.session.emit('event', text); }
  disconnect(reason: string, kind: CloseKind): void { this.session.disconnect(reason, kind); }
}
