import type { Fact } from '../report.ts';
import { fact, unknown, type CollectContext } from './common.ts';

// Placeholders firmware vendors leave in DMI fields; they identify nothing.
const PLACEHOLDER = /^(|-|0+|none|n\/a|not specified|not applicable|default string|to be filled by o\.e\.m\.|system serial number|0{8}-0{4}-0{4}-0{4}-0{12}|0{32}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

export function meaningful(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return PLACEHOLDER.test(t) || t.length > 128 ? undefined : t;
}

/** Hardware identity through systeminformation (DMI / WMI / IOKit), used as is on Linux and as a fallback elsewhere. */
export async function hardwareFromSystemInfo(ctx: CollectContext): Promise<Fact> {
  const source = 'systeminformation.system() + uuid()';
  try {
    const [sys, ids] = await Promise.all([ctx.si.system(), ctx.si.uuid()]);
    const serial = meaningful(sys.serial);
    const hardwareUuid = meaningful(sys.uuid) ?? meaningful(ids.hardware);
    const machineId = meaningful(ids.os);
    const parsed = { serial: serial ?? null, hardwareUuid: hardwareUuid ?? null, machineId: machineId ?? null, model: sys.model, virtual: sys.virtual };
    const evidence = { source, parsed };
    if (serial || hardwareUuid) {
      return fact('hardware.id', 'pass', { value: { serial, hardwareUuid, machineId }, reason: serial ? 'hardware serial number' : 'hardware UUID', evidence });
    }
    if (machineId) {
      return fact('hardware.id', 'pass', {
        value: { machineId },
        reason: `no hardware serial/UUID readable${sys.virtual ? ' (virtual machine)' : ''}; identified by the OS machine id`,
        evidence,
      });
    }
    return unknown('hardware.id', 'no serial number, hardware UUID or machine id readable', evidence);
  } catch (err) {
    return unknown('hardware.id', `systeminformation failed: ${(err as Error).message}`, { source, error: (err as Error).message });
  }
}
