import { checkInput, fail, isRecord, ok, parseJson, type Parsed } from './result.ts';

export interface MacHardwareId {
  serial?: string;
  uuid?: string;
  model?: string;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;
const SERIAL = /^[0-9A-Z]{8,20}$/;

/** `ioreg -rd1 -c IOPlatformExpertDevice`: "IOPlatformSerialNumber" = "C02..." and "IOPlatformUUID" = "...". */
export function parseIoregPlatform(text: string): Parsed<MacHardwareId> {
  const bad = checkInput(text, 'ioreg');
  if (bad) return fail(bad);
  if (!/IOPlatformExpertDevice/.test(text)) return fail('ioreg: no IOPlatformExpertDevice node');
  const serial = /"IOPlatformSerialNumber" = "([^"]*)"/.exec(text)?.[1];
  const uuid = /"IOPlatformUUID" = "([^"]*)"/.exec(text)?.[1];
  const model = /"model" = <"([^"]*)">/.exec(text)?.[1];
  if (serial !== undefined && !SERIAL.test(serial)) return fail('ioreg: malformed serial number');
  if (uuid !== undefined && !UUID.test(uuid)) return fail('ioreg: malformed platform UUID');
  if (!serial && !uuid) return fail('ioreg: neither serial number nor platform UUID present');
  return ok({ ...(serial ? { serial } : {}), ...(uuid ? { uuid: uuid.toUpperCase() } : {}), ...(model ? { model } : {}) });
}

function firstItem(text: string, key: string): Parsed<Record<string, unknown> | undefined> {
  const j = parseJson(text, 'system_profiler');
  if (!j.ok) return j;
  if (!isRecord(j.value) || !(key in j.value)) return fail(`system_profiler: no ${key}`);
  const items = j.value[key];
  if (!Array.isArray(items)) return fail(`system_profiler: ${key} is not an array`);
  if (items.length === 0) return ok(undefined);
  const it = items[0];
  return isRecord(it) ? ok(it) : fail(`system_profiler: ${key} item is not an object`);
}

/** `system_profiler SPHardwareDataType -json`: serial_number, platform_UUID, machine_model. */
export function parseSystemProfilerHardware(text: string): Parsed<MacHardwareId> {
  const bad = checkInput(text, 'system_profiler');
  if (bad) return fail(bad);
  const it = firstItem(text, 'SPHardwareDataType');
  if (!it.ok) return it;
  if (!it.value) return fail('system_profiler: SPHardwareDataType is empty');
  const serial = typeof it.value.serial_number === 'string' ? it.value.serial_number : undefined;
  const uuid = typeof it.value.platform_UUID === 'string' ? it.value.platform_UUID : undefined;
  const model = typeof it.value.machine_model === 'string' ? it.value.machine_model : undefined;
  if (serial !== undefined && !SERIAL.test(serial)) return fail('system_profiler: malformed serial number');
  if (uuid !== undefined && !UUID.test(uuid)) return fail('system_profiler: malformed platform UUID');
  if (!serial && !uuid) return fail('system_profiler: neither serial number nor platform UUID present');
  return ok({ ...(serial ? { serial } : {}), ...(uuid ? { uuid: uuid.toUpperCase() } : {}), ...(model ? { model } : {}) });
}

export type MacSecureBoot =
  | { present: false }
  | { present: true; level: 'full' | 'reduced' | 'permissive' | 'medium' | 'none'; raw: string };

const LEVELS: Record<string, 'full' | 'reduced' | 'permissive' | 'medium' | 'none'> = {
  'Full Security': 'full',
  'Reduced Security': 'reduced',
  'Permissive Security': 'permissive',
  'Medium Security': 'medium',
  'No Security': 'none',
};

/**
 * `system_profiler SPiBridgeDataType -json`: "ibridge_secure_boot" on T2 and Apple silicon Macs. The value is
 * localized ("Sécurité maximale"); only the English values are trusted — anything else is an error, not a guess.
 */
export function parseSystemProfilerSecureBoot(text: string): Parsed<MacSecureBoot> {
  const bad = checkInput(text, 'system_profiler');
  if (bad) return fail(bad);
  const it = firstItem(text, 'SPiBridgeDataType');
  if (!it.ok) return it;
  if (!it.value || it.value.ibridge_secure_boot === undefined) return ok({ present: false });
  const raw = it.value.ibridge_secure_boot;
  if (typeof raw !== 'string') return fail('system_profiler: ibridge_secure_boot is not a string');
  const level = LEVELS[raw];
  if (!level) return fail(`system_profiler: unrecognized secure boot value "${raw.slice(0, 60)}" (localized?)`);
  return ok({ present: true, level, raw });
}
