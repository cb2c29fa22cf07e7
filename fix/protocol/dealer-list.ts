/** ParleyDealerList(UG), gateway → client: the desk's dealers (the request, UH, is in parley-requests.ts). */
import type { Field, FixMessage } from '../codec.ts';
import { PARLEY_TAG as TAG } from '../dictionary/parley-extension.ts';
import { readGroup } from './group.ts';
import { safeText } from './values.ts';

export type DealerInfo = { name: string; delayMs: number; spreadBps: number };

export function dealerListFields(dealers: readonly DealerInfo[], requestId?: string): Field[] {
  const f: Field[] = [];
  if (requestId) f.push({ tag: TAG.RequestID, value: safeText(requestId, 64) });
  f.push({ tag: TAG.NoDealers, value: String(dealers.length) });
  for (const d of dealers) {
    f.push({ tag: TAG.DealerName, value: safeText(d.name, 64) });
    f.push({ tag: TAG.DealerDelayMs, value: String(Math.round(d.delayMs)) });
    f.push({ tag: TAG.DealerSpreadBps, value: String(d.spreadBps) });
  }
  return f;
}

export function readDealerList(msg: FixMessage): DealerInfo[] {
  return readGroup(msg, TAG.NoDealers, TAG.DealerName, [TAG.DealerName, TAG.DealerDelayMs, TAG.DealerSpreadBps]).map((g) => ({
    name: g.get(TAG.DealerName) ?? '', delayMs: Number(g.get(TAG.DealerDelayMs) ?? 0), spreadBps: Number(g.get(TAG.DealerSpreadBps) ?? 0),
  }));
}

