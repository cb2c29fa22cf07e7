/**
 * Names the network a request comes from, for the access policy's `context.network`.
 *
 * API
 *   NETWORK_LABELS, type NetworkLabel
 *   interface NetworkConfig { corporate?: string[]; zones?: Partial<Record<NetworkLabel, string[]>> }
 *   compileNetworks(cfg, where?) -> NetworkClassifier   (throws naming the bad label or CIDR)
 *   classifyNetwork(ip, cfg | classifier) -> NetworkLabel
 *
 * Zones are checked first (in NETWORK_LABELS order) because they are usually carved out of the corporate
 * range (a privileged access workstation subnet inside the LAN); then the corporate CIDRs ('corporate-lan');
 * any other well-formed address is 'remote' (VPN or dynamic IP); something that is not an address is 'unknown'.
 * 'public-wifi' cannot be seen from an address: a zone may name known hotspot ranges, or the gateway may set it
 * from the agent's report.
 */
import { CidrSet, normalizeIp } from '../risk/cidr.ts';

export const NETWORK_LABELS = ['paw', 'production-analytics', 'dev-sandbox', 'public-wifi', 'corporate-lan', 'remote', 'unknown'] as const;
export type NetworkLabel = (typeof NETWORK_LABELS)[number];

export interface NetworkConfig {
  corporate?: readonly string[];
  zones?: Partial<Record<string, readonly string[]>>;
}

export interface NetworkClassifier {
  readonly zones: readonly (readonly [NetworkLabel, CidrSet])[];
  readonly corporate: CidrSet;
}

export function compileNetworks(cfg: NetworkConfig, where = 'network'): NetworkClassifier {
  const zones: [NetworkLabel, CidrSet][] = [];
  for (const [label, cidrs] of Object.entries(cfg.zones ?? {})) {
    if (!(NETWORK_LABELS as readonly string[]).includes(label) || label === 'unknown' || label === 'remote') {
      throw new Error(`${where}.zones.${label}: unknown network label (expected one of ${NETWORK_LABELS.filter((l) => l !== 'unknown' && l !== 'remote').join(', ')})`);
    }
    if (!Array.isArray(cidrs)) throw new Error(`${where}.zones.${label}: must be an array of CIDRs`);
    zones.push([label as NetworkLabel, new CidrSet(cidrs, `${where}.zones.${label}`)]);
  }
  zones.sort((a, b) => NETWORK_LABELS.indexOf(a[0]) - NETWORK_LABELS.indexOf(b[0]));
  return { zones, corporate: new CidrSet(cfg.corporate ?? [], `${where}.corporate`) };
}

const compiled = new WeakMap<NetworkConfig, NetworkClassifier>();

export function classifyNetwork(ip: string, cfg: NetworkConfig | NetworkClassifier): NetworkLabel {
  let c: NetworkClassifier;
  if ('corporate' in cfg && cfg.corporate instanceof CidrSet) {
    c = cfg as NetworkClassifier;
  } else {
    const conf = cfg as NetworkConfig;
    c = compiled.get(conf) ?? compileNetworks(conf);
    compiled.set(conf, c);
  }
  if (!normalizeIp(ip)) return 'unknown';
  for (const [label, set] of c.zones) if (set.has(ip)) return label;
  return c.corporate.has(ip) ? 'corporate-lan' : 'remote';
}
