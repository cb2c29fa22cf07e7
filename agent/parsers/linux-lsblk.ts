import { checkInput, fail, isRecord, ok, parseJson, type Parsed } from './result.ts';

export interface RootEncryption {
  rootDevice: string;
  /** Device names from the disk down to the one mounted at /. */
  chain: string[];
  encrypted: boolean;
  cryptLayer?: string;
}

interface Node {
  name: string;
  type: string;
  fstype: string | null;
  mounts: string[];
  children: Node[];
}

const MAX_DEPTH = 16;
const MAX_NODES = 10_000;

/**
 * `lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT[S]`: finds the device mounted at / and says whether a dm-crypt
 * layer (type "crypt", or a crypto_LUKS parent) sits between it and the disk.
 */
export function parseLsblkRoot(text: string): Parsed<RootEncryption> {
  const bad = checkInput(text, 'lsblk');
  if (bad) return fail(bad);
  const j = parseJson(text, 'lsblk');
  if (!j.ok) return j;
  if (!isRecord(j.value) || !Array.isArray(j.value.blockdevices)) return fail('lsblk: no "blockdevices" array');
  let count = 0;
  const toNode = (v: unknown, depth: number): Node | string => {
    if (depth > MAX_DEPTH) return 'lsblk: device tree too deep';
    if (++count > MAX_NODES) return 'lsblk: too many devices';
    if (!isRecord(v) || typeof v.name !== 'string' || typeof v.type !== 'string') return 'lsblk: device without name/type';
    if (v.fstype !== undefined && v.fstype !== null && typeof v.fstype !== 'string') return 'lsblk: fstype is not a string';
    const mounts: string[] = [];
    if (Array.isArray(v.mountpoints)) {
      for (const m of v.mountpoints) if (typeof m === 'string') mounts.push(m);
    } else if (typeof v.mountpoint === 'string') mounts.push(v.mountpoint);
    const children: Node[] = [];
    if (v.children !== undefined) {
      if (!Array.isArray(v.children)) return 'lsblk: children is not an array';
      for (const c of v.children) {
        const n = toNode(c, depth + 1);
        if (typeof n === 'string') return n;
        children.push(n);
      }
    }
    return { name: v.name, type: v.type, fstype: (v.fstype as string | null | undefined) ?? null, mounts, children };
  };
  const roots: Node[] = [];
  for (const d of j.value.blockdevices) {
    const n = toNode(d, 0);
    if (typeof n === 'string') return fail(n);
    roots.push(n);
  }
  const path = findRoot(roots, []);
  if (!path) return fail('lsblk: no block device is mounted at / (container or network root?)');
  const crypt = path.find((n) => n.type === 'crypt' || n.fstype === 'crypto_LUKS');
  const cryptLayer = path.find((n) => n.type === 'crypt')?.name ?? crypt?.name;
  return ok({
    rootDevice: path[path.length - 1]!.name,
    chain: path.map((n) => n.name),
    encrypted: crypt !== undefined,
    ...(cryptLayer ? { cryptLayer } : {}),
  });
}

function findRoot(nodes: Node[], trail: Node[]): Node[] | undefined {
  for (const n of nodes) {
    const here = [...trail, n];
    if (n.mounts.includes('/')) return here;
    const found = findRoot(n.children, here);
    if (found) return found;
  }
  return undefined;
}
