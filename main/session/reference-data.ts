/**
 * Reference data: the instruments (SecurityList y) and the dealers (Parley's DealerList UG) the gateway offers.
 * The gateway sends both after the logon; asked for before it arrived, they are requested and waited for briefly.
 *
 * Before the logon is complete (second factor included) there is no list to give: an empty one would read as
 * "the gateway offers nothing", so the answer is 'not-connected' and the UI retries once connected. A list
 * already received stays served.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import { readDealerList } from '../../fix/parley-protocol.ts';
import { ParleyError, type Dealer, type Instrument } from '../ipc/contract.ts';
import { dealerListRequestFields, readSecurityList, securityListRequestFields } from './fix-mapping.ts';
import type { SessionLink } from './session-link.ts';

const DEALER_NAME = /^[A-Za-z0-9._:\-]{1,64}$/;
const WAIT_MS = 5_000;

export class ReferenceData {
  readonly #link: SessionLink;
  /** Whether the logon is complete (connected, not waiting on a step-up), and the state to name when not. */
  readonly #ready: () => { ready: boolean; state: string };
  #instruments: Instrument[] = [];
  #dealers: Dealer[] = [];

  constructor(link: SessionLink, ready: () => { ready: boolean; state: string }) {
    this.#link = link;
    this.#ready = ready;
  }

  onSecurityList(m: FixMessage): void {
    this.#instruments = readSecurityList(m);
  }

  onDealerList(m: FixMessage): void {
    this.#dealers = readDealerList(m)
      .filter((d) => DEALER_NAME.test(d.name))
      .map((d) => ({ id: d.name, name: d.name }));
  }

  async instruments(): Promise<Instrument[]> {
    if (!this.#instruments.length) {
      this.#mustBeReady('instruments');
      this.#link.active().send(MsgType.SecurityListRequest, securityListRequestFields(this.#link.nextId('SL')));
      await until(() => this.#instruments.length > 0, WAIT_MS);
    }
    return this.#instruments;
  }

  async dealers(): Promise<Dealer[]> {
    if (!this.#dealers.length) {
      this.#mustBeReady('dealers');
      this.#link.active().send(MsgType.ParleyDealerListRequest, dealerListRequestFields({ requestId: this.#link.nextId('DL') }));
      await until(() => this.#dealers.length > 0, WAIT_MS);
    }
    return this.#dealers;
  }

  #mustBeReady(what: string): void {
    const r = this.#ready();
    if (!r.ready) throw new ParleyError('not-connected', `no ${what} yet: the logon to the gateway is not complete (${r.state})`);
  }
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
