import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface SwVers {
  productName: string;
  productVersion: string;
  buildVersion: string;
  /** Rapid Security Response suffix, e.g. "(a)". */
  productVersionExtra?: string;
}

/** `sw_vers`: "ProductName:\tmacOS" / "ProductVersion:\t14.4.1" / "BuildVersion:\t23E224". */
export function parseSwVers(text: string): Parsed<SwVers> {
  const bad = checkInput(text, 'sw_vers');
  if (bad) return fail(bad);
  const f: Record<string, string> = {};
  for (const [i, raw] of lines(text).entries()) {
    if (raw.trim() === '') continue;
    const m = /^(\w+):\s+(.+)$/.exec(raw.trim());
    if (!m) return fail(`sw_vers: line ${i + 1} is not "Key: value"`);
    f[m[1]!] = m[2]!.trim();
  }
  const { ProductName: productName, ProductVersion: productVersion, BuildVersion: buildVersion } = f;
  if (!productName || !productVersion || !buildVersion) return fail('sw_vers: missing ProductName/ProductVersion/BuildVersion');
  if (!/^\d+(\.\d+){0,3}$/.test(productVersion)) return fail(`sw_vers: bad ProductVersion "${productVersion.slice(0, 40)}"`);
  if (!/^[0-9A-Za-z]+$/.test(buildVersion)) return fail(`sw_vers: bad BuildVersion "${buildVersion.slice(0, 40)}"`);
  return ok({
    productName,
    productVersion,
    buildVersion,
    ...(f.ProductVersionExtra ? { productVersionExtra: f.ProductVersionExtra } : {}),
  });
}
