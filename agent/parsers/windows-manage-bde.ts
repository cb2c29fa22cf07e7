import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface BitLockerStatus {
  volume: string;
  conversion: 'fully-encrypted' | 'used-space-encrypted' | 'fully-decrypted' | 'encrypting' | 'decrypting' | 'paused' | 'other';
  percentEncrypted: number;
  protectionOn: boolean;
  language: 'en' | 'de';
}

export type ManageBdeResult = { elevationRequired: true } | ({ elevationRequired: false } & BitLockerStatus);

// manage-bde is localized with the Windows display language; each label/value set below is a recorded one.
const LABELS = {
  en: { conversion: 'Conversion Status', percent: 'Percentage Encrypted', protection: 'Protection Status', volume: /^Volume (\S+)/ },
  de: { conversion: 'Konvertierungsstatus', percent: 'Verschlüsselt (Prozent)', protection: 'Schutzstatus', volume: /^Volume "?([A-Z]:)"?/ },
} as const;

const CONVERSION: Array<[RegExp, BitLockerStatus['conversion']]> = [
  [/^Fully Encrypted$|^Vollständig verschlüsselt$/, 'fully-encrypted'],
  [/^Used Space Only Encrypted$|^Nur verwendeter Speicherplatz (ist )?verschlüsselt$/, 'used-space-encrypted'],
  [/^Fully Decrypted$|^Vollständig entschlüsselt$/, 'fully-decrypted'],
  [/^Encryption in Progress$|^Verschlüsselung wird durchgeführt$/, 'encrypting'],
  [/^Decryption in Progress$|^Entschlüsselung wird durchgeführt$/, 'decrypting'],
  [/Paused$|angehalten$/, 'paused'],
];

const PROTECTION_ON = /^Protection On$|^Der Schutz ist aktiviert\.?$/;
const PROTECTION_OFF = /^Protection Off|^Der Schutz ist deaktiviert\.?/;
// "ERROR: An attempt to access a required resource was denied." (0x80070005) and its German form.
const ACCESS_DENIED = /0x80070005|access a required resource was denied|administrative rights|Zugriffsversuch auf eine erforderliche Ressource wurde verweigert|Administratorrechte/i;

/** `manage-bde -status C:` in English or German; an access-denied answer means the agent is not elevated. */
export function parseManageBdeStatus(text: string): Parsed<ManageBdeResult> {
  const bad = checkInput(text, 'manage-bde');
  if (bad) return fail(bad);
  if (ACCESS_DENIED.test(text)) return ok({ elevationRequired: true });
  const all = lines(text).map((l) => l.trim());
  for (const language of ['en', 'de'] as const) {
    const L = LABELS[language];
    const field = (label: string): string | undefined => {
      const line = all.find((l) => l.startsWith(`${label}:`));
      return line?.slice(label.length + 1).trim();
    };
    const conv = field(L.conversion);
    const pct = field(L.percent);
    const prot = field(L.protection);
    if (conv === undefined && pct === undefined && prot === undefined) continue;
    if (conv === undefined || pct === undefined || prot === undefined) {
      return fail(`manage-bde: incomplete status (missing ${[!conv && L.conversion, !pct && L.percent, !prot && L.protection].filter(Boolean).join(', ')})`);
    }
    const conversion = CONVERSION.find(([re]) => re.test(conv))?.[1] ?? 'other';
    const pm = /^(\d{1,3}(?:[.,]\d+)?)\s?%$/.exec(pct);
    if (!pm) return fail(`manage-bde: unrecognized percentage "${pct.slice(0, 40)}"`);
    const percentEncrypted = Number(pm[1]!.replace(',', '.'));
    if (!(percentEncrypted >= 0 && percentEncrypted <= 100)) return fail('manage-bde: percentage out of range');
    let protectionOn: boolean;
    if (PROTECTION_ON.test(prot)) protectionOn = true;
    else if (PROTECTION_OFF.test(prot)) protectionOn = false;
    else return fail(`manage-bde: unrecognized protection status "${prot.slice(0, 60)}"`);
    const volume = all.map((l) => L.volume.exec(l)?.[1]).find(Boolean) ?? '?';
    return ok({ elevationRequired: false, volume, conversion, percentEncrypted, protectionOn, language });
  }
  return fail('manage-bde: no recognized status fields (unsupported language or not manage-bde output)');
}
