/**
 * The QuickFIX-format XML dictionary of Parley's full protocol (FIX 4.4 + Parley's extension: its U-messages,
 * its 5000-range tags and the tags it adds to Logon, Logout, Quote, ExecutionReport, …), generated from
 * fix/dictionary, for institutions whose engine wants the whole protocol (step-up, security status, dealers).
 * Engines that do not want it use the stock FIX44.xml with an account set to `protocol: "fix44"`.
 * The generated file is committed as fix/interop/FIX44-Parley.xml (a test keeps it equal to this output).
 *
 * API: parleyDictionaryXml() → string; SHIPPED_DICTIONARY (its path)
 * Regenerate: bash scripts/node.sh fix/interop/parley-dictionary.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parleyDictionary } from '../parley-protocol.ts';
import { dictionaryXml } from './dictionary-xml.ts';

export const SHIPPED_DICTIONARY = fileURLToPath(new URL('./FIX44-Parley.xml', import.meta.url));

export function parleyDictionaryXml(): string {
  return dictionaryXml(parleyDictionary().source);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SHIPPED_DICTIONARY, parleyDictionaryXml());
  process.stdout.write(`wrote ${SHIPPED_DICTIONARY}\n`);
}
